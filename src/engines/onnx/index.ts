/** The ONNX path: export a LightGBM model to ONNX, and the onnx engine (onnxruntime-node). */
import type { ParsedModel } from "../../model-text/parse.js";
import { exportOnnxModel, type OnnxExportOptions } from "./export.js";

export { OnnxEngine, type OnnxEngineOptions, OnnxUnsupportedError } from "./engine.js";
export {
  exportOnnxModel,
  OnnxExportError,
  type OnnxExportInfo,
  type OnnxExportOptions,
  type OnnxExportSource,
} from "./export.js";

/** Anything that holds a LightGBM model: its text, a parsed model, an engine, or a Model. */
export type OnnxModelSource = string | ParsedModel | object;

/**
 * Exports a LightGBM model to ONNX bytes: the model text, a `Model` (any engine), a `NativeEngine`
 * or a `JsEngine`. See export.ts for the graph and its exactness rules.
 */
export function exportOnnx(source: OnnxModelSource, options: OnnxExportOptions = {}): Uint8Array {
  return exportOnnxModel(resolve(source), options).bytes;
}

function resolve(source: unknown): string | ParsedModel {
  if (typeof source === "string") return source;
  if (source !== null && typeof source === "object") {
    if (isParsedModel(source)) return source;
    // JsEngine and OnnxEngine hold their parsed model (engines do not import each other).
    if ("model" in source && isParsedModel(source.model)) return source.model;
    if ("engine" in source) return resolve((source as { engine: unknown }).engine);
    const text = modelTextOf(source);
    if (text !== undefined) return text;
  }
  throw new TypeError(
    "exportOnnx needs a LightGBM model text, a Model, a NativeEngine, a JsEngine or an OnnxEngine",
  );
}

function isParsedModel(value: unknown): value is ParsedModel {
  return value !== null && typeof value === "object" && "trees" in value && "numFeatures" in value;
}

function modelTextOf(source: object): string | undefined {
  const s = source as { modelText?: unknown; toString?: () => string };
  if (typeof s.modelText === "string") return s.modelText;
  // NativeEngine.toString() gives LightGBM's text; plain objects give "[object Object]".
  if (typeof s.toString === "function" && s.toString !== Object.prototype.toString) {
    const text = s.toString();
    if (text.startsWith("tree")) return text;
  }
  return undefined;
}
