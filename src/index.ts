export type { Engine, EngineName, ModelInfo, PredictOptions, PredictType } from "./engines/engine.js";
export { NativeEngine } from "./engines/native.js";
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
