export type { Engine, EngineName, ModelInfo, PredictOptions, PredictType } from "./engines/engine.js";
export { ModelParseError } from "./engines/js/errors.js";
export { NativeEngine, type NativeEngineOptions } from "./engines/native.js";
export type { EngineChoice, EngineOptions } from "./engines/create.js";
export {
  DisposedError,
  LightGBMError,
  NativeUnavailableError,
  ValidationError,
  type ValidationIssue,
} from "./errors.js";
export { type Logger, setLogger } from "./logger.js";
export { type LoadOptions, Model } from "./model.js";
export { nativeAvailable } from "./native/binding.js";
