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
export { type FieldSpec, parseSpec, type Spec, specSchema, type Task, validateSpec } from "./bundle/spec.js";
export { type CreateBundleOptions, type CreatedBundle, createBundle } from "./bundle-builder/from-model.js";
export { saveBundle } from "./bundle-builder/save.js";
export { nodeThreadHost } from "./compiled/pool-node.js";
export type { EngineChoice, EngineOptions } from "./engines/create.js";
export type { Engine, EngineName, ModelInfo, PredictOptions, PredictType } from "./engines/engine.js";
export { NativeEngine, type NativeEngineOptions } from "./engines/native.js";
export { OnnxEngine, type OnnxEngineOptions, OnnxUnsupportedError } from "./engines/onnx/engine.js";
export { exportOnnx, OnnxExportError, type OnnxExportOptions } from "./engines/onnx/index.js";
export { WasmEngine, type WasmEngineOptions } from "./engines/wasm/index.js";
export {
  DisposedError,
  LightGBMError,
  NativeUnavailableError,
  OptionalDependencyError,
  ValidationError,
  type ValidationIssue,
} from "./errors.js";
export { type Logger, setLogger } from "./logger.js";
export {
  BaseModel,
  type LoadOptions,
  type MatrixInput,
  Model,
  type ModelOptions,
  type RecordArg,
  type RecordPredictOptions,
  type TaskOptions,
} from "./model.js";
export { ModelParseError } from "./model-text/errors.js";
export { loadedAddon, nativeAvailable, setNativeBinding } from "./native/binding.js";
export { type TrainOptions, type TrainProgress, train } from "./train/train.js";
