/**
 * The one small interface every engine implements (native LightGBM, compiled WebAssembly, pure TypeScript,
 * ONNX Runtime).
 * Engines work on encoded, row-major Float64Array matrices only: records, schemas and named
 * outputs live in the layers above (see src/model.ts). Keeping this surface small is what lets the
 * engines be swapped and tested against each other.
 *
 * This file must stay free of `node:` imports: the browser-safe entry (src/js.ts) uses it.
 */

export type PredictType = "normal" | "raw" | "leaf" | "contrib";

export interface PredictOptions {
  /** What to compute: transformed output, raw score, leaf indices or SHAP contributions. */
  type?: PredictType;
  /** First boosting iteration to use (0-based). */
  startIteration?: number;
  /** Number of iterations to use from startIteration; <= 0 or undefined means all. */
  numIterations?: number;
  /** Threads for batch prediction (native engine only; ignored by others). */
  numThreads?: number;
}

/** What an engine knows about its model, independent of how it evaluates it. */
export interface ModelInfo {
  /** Number of input columns the model expects (max_feature_idx + 1). */
  numFeatures: number;
  featureNames: string[];
  /** Number of output classes: 1 for binary and regression objectives. */
  numClasses: number;
  /** Trees per boosting iteration (num_class for multiclass, else 1). */
  numTreePerIteration: number;
  /** Boosting iterations in the model. */
  numIterations: number;
  /** The objective line's first word, e.g. "binary", "multiclass", "regression". */
  objective: string;
  /** The objective line in full, with its parameters, e.g. "binary sigmoid:1". */
  objectiveLine: string;
}

/** Every engine createEngine can build (tests iterate over this list, so a new engine is covered). */
export const ENGINE_NAMES = ["native", "wasm", "js", "onnx"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface Engine {
  readonly name: EngineName;
  readonly info: ModelInfo;
  /** Values per row in the output of `predict` for these options. */
  outputWidth(options?: PredictOptions): number;
  /** Predict `nrow` rows of a row-major matrix with `info.numFeatures` columns. */
  predict(data: Float64Array, nrow: number, options?: PredictOptions): Float64Array;
  /** As `predict`, but off the event loop where the engine can do that. */
  predictAsync(data: Float64Array, nrow: number, options?: PredictOptions): Promise<Float64Array>;
  /** One row, on the fastest path the engine has; into `out` (outputWidth values) when given. */
  predictRow(row: Float64Array, options?: PredictOptions, out?: Float64Array): Float64Array;
  /** Frees native resources. Safe to call more than once; any later call throws. */
  dispose(): void;
}

/**
 * Iterations actually used for a request, with LightGBM's own clamping rules
 * (GBDT::InitPredict): start is clamped to [0, total], and num <= 0 means "to the end".
 */
export function iterationRange(
  total: number,
  startIteration = 0,
  numIterations = 0,
): { start: number; count: number } {
  const start = Math.max(0, Math.min(startIteration, total));
  const rest = total - start;
  const count = numIterations > 0 ? Math.min(numIterations, rest) : rest;
  return { start, count };
}

/** Output values per row, the same formula LightGBM's Booster::CalcNumPredict uses. */
export function outputWidthFor(info: ModelInfo, options: PredictOptions = {}): number {
  switch (options.type ?? "normal") {
    case "normal":
    case "raw":
      return info.numClasses;
    case "leaf": {
      const { count } = iterationRange(info.numIterations, options.startIteration, options.numIterations);
      return count * info.numTreePerIteration;
    }
    case "contrib":
      return info.numTreePerIteration * (info.numFeatures + 1);
  }
}

const PREDICT_TYPES: ReadonlySet<string> = new Set<PredictType>(["normal", "raw", "leaf", "contrib"]);

/** The type of a value, for error messages ("Float32Array", "null", "number"). */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

/** Checks predict options the way the native engine does (int32 ranges; start >= 0); throws a typed error. */
export function checkPredictOptions(options: PredictOptions | undefined): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  if (options.type !== undefined && !PREDICT_TYPES.has(options.type)) {
    throw new RangeError(
      `type must be one of normal, raw, leaf, contrib, got ${JSON.stringify(options.type)}`,
    );
  }
  for (const [key, min] of [
    ["startIteration", 0],
    ["numIterations", -2147483648],
  ] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v))
      throw new TypeError(`${key} must be an integer, got ${v}`);
    if (v < min || v > 2147483647)
      throw new RangeError(`${key} must be between ${min} and 2147483647, got ${v}`);
  }
}

/** A batch's arguments: a Float64Array of nrow rows of numFeatures values. */
export function checkMatrix(data: unknown, nrow: unknown, numFeatures: number): void {
  if (!(data instanceof Float64Array))
    throw new TypeError(`data must be a Float64Array, got ${describeValue(data)}`);
  if (typeof nrow !== "number" || !Number.isInteger(nrow) || nrow < 0)
    throw new RangeError(`nrow must be a non-negative integer, got ${nrow}`);
  if (data.length !== nrow * numFeatures) {
    throw new RangeError(
      `data has ${data.length} values, expected nrow * ncol = ${nrow} * ${numFeatures} = ${nrow * numFeatures}`,
    );
  }
}

/** predictRow's arguments: a row of numFeatures values, and `out` (when given) of `width` values. */
export function checkRow(row: unknown, numFeatures: number, out: unknown, width: () => number): void {
  if (!(row instanceof Float64Array))
    throw new TypeError(`row must be a Float64Array, got ${describeValue(row)}`);
  if (row.length !== numFeatures) {
    throw new RangeError(`row has ${row.length} values but the model has ${numFeatures} features`);
  }
  if (out !== undefined) {
    if (!(out instanceof Float64Array))
      throw new TypeError(`out must be a Float64Array, got ${describeValue(out)}`);
    const w = width();
    if (out.length !== w) throw new RangeError(`out has ${out.length} values, needs ${w}`);
  }
}
