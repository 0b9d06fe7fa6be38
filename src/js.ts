/**
 * Browser-safe entry point (`lightgbm-node/js`): bundles and records with the Node SDK's pipeline (the
 * same encoder, validation errors and output transform, src/model-base.ts), and the pure TypeScript
 * engine. Never imports the native addon or any `node:` module, so it bundles for a browser or an
 * Electron renderer (test/browser-entry.test.ts bundles it with esbuild for the browser platform).
 *
 *   import { Model } from "lightgbm-node/js";
 *   const model = await Model.load("/models/hr-attrition/", { task: "binary" }); // model.txt + spec.json
 *   const { probability } = model.predict({ satisfaction_level: 0.38, ... });
 *
 *   import { WasmEngine } from "lightgbm-node/js";          // the engine alone: matrices in, numbers out
 *   const engine = await WasmEngine.create(await (await fetch("model.txt")).arrayBuffer());
 *
 * Engines: JsEngine (pure TypeScript: the browser Model's default, and the one that runs where the page's
 * Content-Security-Policy forbids compiling WebAssembly, no 'wasm-unsafe-eval') and WasmEngine (the model
 * compiled to WebAssembly, where the page may compile it: `{ engine: (text) => WasmEngine.create(text) }`).
 */

export {
  type BrowserLoadOptions,
  type BundleSources,
  type BundleTexts,
  type EngineFactory,
  type FileSource,
  Model,
} from "./browser-model.js";
export type { ColumnarInput, Encoded, EncoderOptions } from "./bundle/encoder.js";
export {
  type BinaryResult,
  type ClassExplanation,
  type Contribution,
  type ExplainResult,
  type Explanation,
  type ExplanationOf,
  hasClasses,
  isBinary,
  isMulticlass,
  isRegression,
  type MulticlassExplanation,
  type MulticlassResult,
  type PredictionResult,
  type RegressionResult,
  type ResultOf,
} from "./bundle/output.js";
export type { AbsentFields, ExtraFields, InputRecord, RecordSchema } from "./bundle/schema.js";
export { type FieldSpec, parseSpec, type Spec, type Task, validateSpec } from "./bundle/spec.js";
export type { ForestMemory } from "./compiled/forest.js";
export type { ThreadHost, WorkerHandle, WorkerInit } from "./compiled/pool.js";
export type { Engine, EngineName, ModelInfo, PredictOptions, PredictType } from "./engines/engine.js";
export { iterationRange, outputWidthFor } from "./engines/engine.js";
export type { ModelHeader, ParsedModel, ParsedTree } from "./engines/js/index.js";
export {
  decodeModelBuffer,
  JsEngine,
  ModelParseError,
  parseModel,
  parseModelHeader,
} from "./engines/js/index.js";
export { WasmEngine, type WasmEngineOptions } from "./engines/wasm/index.js";
export { DisposedError, LightGBMError, ValidationError, type ValidationIssue } from "./errors.js";
export {
  BaseModel,
  type MatrixInput,
  type ModelOptions,
  type RecordArg,
  type RecordPredictOptions,
  type TaskOptions,
} from "./model-base.js";
