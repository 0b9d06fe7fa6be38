/**
 * Browser-safe entry point (`lightgbm-node/js`): the pure TypeScript engine only. Never imports the
 * native addon or any `node:` module, so it bundles for a browser or an Electron renderer.
 *
 *   import { JsEngine } from "lightgbm-node/js";
 *   const engine = JsEngine.fromString(modelText); // or JsEngine.fromBuffer(await res.arrayBuffer())
 *   const p = engine.predictRow(new Float64Array([...]));
 */

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
