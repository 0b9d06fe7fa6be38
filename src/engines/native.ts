/**
 * The native engine: LightGBM itself, through the addon. Batch predicts pass the caller's Float64Array
 * to LightGBM without copying; predictAsync runs on libuv's thread pool; predictRow uses
 * LGBM_BoosterPredictForMatSingleRowFast. Raw and normal outputs of single rows, small batches and
 * one-thread calls go through the addon's packed-tree kernel instead (see NativeEngineOptions.packedTrees).
 */
import { readFileSync } from "node:fs";
import { fromNativeError } from "../errors.js";
import { parseHeader } from "../model-text/header.js";
import { buildLayout } from "../model-text/layout.js";
import { type ParsedModel, parseModel } from "../model-text/parse.js";
import { transformSpec } from "../model-text/transform.js";
import { writeModelText } from "../model-text/write.js";
import { nativeAsync } from "../native/async.js";
import {
  flushNativeLogs,
  loadBinding,
  type NativeBooster,
  type NativePackedForest,
  type NativeRowPredictor,
  PACKED_TRANSFORM,
  PREDICT_TYPE,
} from "../native/binding.js";
import { type Engine, type ModelInfo, outputWidthFor, type PredictOptions } from "./engine.js";

export interface NativeEngineOptions {
  /**
   * Default threads for batch predictions (default 1). More threads only pay on a large batch with idle
   * cores; with the other cores busy they were slower at every batch size measured here (README, threads).
   */
  numThreads?: number;
  /**
   * Raw and normal predictions run on the addon's packed-tree kernel (native/packed_forest.cc) for
   * predictRow, and for predict / predictAsync on up to SMALL_BATCH_ROWS rows or with one thread:
   * LightGBM's values bit for bit, 1.4-2x faster (default true). Engines made from a training booster
   * (fromBooster) never use it; models with linear leaves, leaf and SHAP outputs, iteration ranges and
   * larger threaded batches always go through LightGBM.
   */
  packedTrees?: boolean;
}

/** Loads and other rare calls: re-type errors and forward whatever LightGBM logged. */
function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNativeError(err);
  } finally {
    flushNativeLogs();
  }
}

/** Predict calls are hot: LightGBM logs nothing on success, so logs are only forwarded on failure. */
/** Up to this many rows, predict() loops the single-row path in C++ (measured break-even: ~32-64 rows). */
export const SMALL_BATCH_ROWS = 32;

function hot<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    flushNativeLogs();
    throw fromNativeError(err);
  }
}

interface RowPath<P = NativeRowPredictor> {
  predictor: P;
  input: Float64Array;
  output: Float64Array;
}

export class NativeEngine implements Engine {
  readonly name = "native" as const;
  readonly info: ModelInfo;
  private readonly defaultThreads: number;
  /** Single-row paths by "type|start|num"; `defaultRow` is the common { type: "normal" } one. */
  private readonly rowPaths = new Map<string, RowPath>();
  private defaultRow: RowPath | undefined;
  /** The packed-tree kernel, when enabled and the model allows it (see NativeEngineOptions.packedTrees). */
  private packed: NativePackedForest | undefined;
  /** The kernel's bound single-row paths (normal, raw), made on first use. */
  private packedRows: [RowPath<() => void> | undefined, RowPath<() => void> | undefined] = [
    undefined,
    undefined,
  ];

  private constructor(
    private readonly booster: NativeBooster,
    objectiveLine: string,
    options: NativeEngineOptions,
    parsed?: ParsedModel,
  ) {
    this.defaultThreads = checkThreads(options.numThreads ?? 1);
    if (parsed !== undefined && options.packedTrees !== false) this.packed = packedForest(parsed);
    this.info = call(() => ({
      numFeatures: booster.numFeatures(),
      // A loaded model's names are the parser's (LightGBM read them from the canonical text).
      featureNames: parsed !== undefined ? parsed.featureNames.slice() : booster.featureNames(),
      numClasses: booster.numClasses(),
      numTreePerIteration: booster.numTreePerIteration(),
      numIterations: booster.currentIteration(),
      objective: objectiveLine.split(/\s+/)[0] ?? "",
      objectiveLine,
    }));
  }

  /**
   * Loads a LightGBM text model file. LightGBM never reads the file: the model-text parser checks it
   * (ModelParseError for anything malformed) and LightGBM loads the canonical text written from the
   * parse (writeModelText), so no byte of the file can reach LightGBM's own parser.
   */
  static fromFile(path: string, options: NativeEngineOptions = {}): NativeEngine {
    return NativeEngine.fromString(readFileSync(path, "utf8"), options);
  }

  static fromString(text: string, options: NativeEngineOptions = {}): NativeEngine {
    if (typeof text !== "string") throw new TypeError("model text must be a string");
    const parsed = parseModel(text);
    const canonical = writeModelText(parsed);
    const { Booster } = loadBinding();
    const booster = call(() => new Booster("string", canonical));
    return new NativeEngine(booster, parsed.objectiveLine, options, parsed);
  }

  /** Wraps a booster made by training; the engine takes ownership. */
  static fromBooster(booster: NativeBooster, options: NativeEngineOptions = {}): NativeEngine {
    const text = call(() => booster.saveModelToString(0, -1, 0));
    return new NativeEngine(booster, parseHeader(text).objectiveLine, options);
  }

  /** True when small raw and normal predictions run on the packed-tree kernel (see NativeEngineOptions). */
  get packedTrees(): boolean {
    return this.packed !== undefined;
  }

  /** The underlying booster, for training and saving. */
  get native(): NativeBooster {
    return this.booster;
  }

  outputWidth(options: PredictOptions = {}): number {
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    const packed = this.packedFor(nrow, options);
    if (packed !== undefined) {
      const out = this.packedOut(nrow);
      hot(() => packed.predict(data, nrow, out, options.type === "raw"));
      return out;
    }
    const [type, start, num, params] = this.args(options);
    // A few rows go through the single-row FastConfig, looped in C++: LGBM_BoosterPredictForMat builds a
    // Predictor and parses its parameters on every call (~8 µs), which dominates small batches (the
    // server's micro-batches). Same values either way (test/native-zoo.test.ts).
    if (nrow > 0 && nrow <= SMALL_BATCH_ROWS) {
      const path = this.pathFor(options);
      return hot(() => path.predictor.runMany(data, nrow));
    }
    return hot(() => this.booster.predict(data, nrow, this.info.numFeatures, type, start, num, params));
  }

  async predictAsync(data: Float64Array, nrow: number, options: PredictOptions = {}): Promise<Float64Array> {
    const packed = this.packedFor(nrow, options);
    try {
      if (packed !== undefined) {
        const out = this.packedOut(nrow);
        return await nativeAsync((done) =>
          packed.predictAsync(data, nrow, out, options.type === "raw", done),
        );
      }
      const [type, start, num, params] = this.args(options);
      const nf = this.info.numFeatures;
      return await nativeAsync((done) =>
        this.booster.predictAsync(data, nrow, nf, type, start, num, params, done),
      );
    } catch (err) {
      flushNativeLogs();
      throw fromNativeError(err);
    }
  }

  /**
   * One row through LGBM_BoosterPredictForMatSingleRowFast. Returns a fresh Float64Array, or fills `out`
   * (allocation-free) when given.
   */
  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    if (!(row instanceof Float64Array)) {
      throw new TypeError("row must be a Float64Array (convert other arrays with Float64Array.from)");
    }
    if (row.length !== this.info.numFeatures) {
      throw new RangeError(
        `row has ${row.length} values but the model has ${this.info.numFeatures} features`,
      );
    }
    let src: Float64Array;
    if (this.packed !== undefined && isWholeModel(options)) {
      const raw = options.type === "raw" ? 1 : 0;
      const path = this.packedRows[raw] ?? this.bindPackedRow(this.packed, raw);
      path.input.set(row);
      try {
        path.predictor(); // no closure here: this is the hottest call in the SDK
      } catch (err) {
        throw fromNativeError(err);
      }
      src = path.output;
    } else {
      const path = this.pathFor(options);
      path.input.set(row);
      try {
        path.predictor.run();
      } catch (err) {
        flushNativeLogs();
        throw fromNativeError(err);
      }
      src = path.output;
    }
    if (out === undefined) {
      // a loop into a new array: measured ~10 ns faster than slice() for the usual 1-3 values
      const result = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) result[i] = src[i];
      return result;
    }
    checkOut(out, src.length);
    out.set(src);
    return out;
  }

  /**
   * The packed-tree kernel when it serves this call: raw or normal output of the whole model, on a
   * small batch or a one-thread call (bigger threaded batches are faster on LightGBM's OpenMP loop).
   */
  private packedFor(nrow: number, options: PredictOptions): NativePackedForest | undefined {
    if (this.packed === undefined || !(nrow > 0) || !isWholeModel(options)) return undefined;
    const threads = options.numThreads === undefined ? this.defaultThreads : checkThreads(options.numThreads);
    return nrow <= SMALL_BATCH_ROWS || threads === 1 ? this.packed : undefined;
  }

  /** The kernel's output array (a non-integer nrow gets an empty one here, and the addon's error). */
  private packedOut(nrow: number): Float64Array {
    return new Float64Array(Number.isSafeInteger(nrow) ? nrow * this.info.numTreePerIteration : 0);
  }

  private bindPackedRow(packed: NativePackedForest, raw: 0 | 1): RowPath<() => void> {
    const input = new Float64Array(this.info.numFeatures);
    const output = new Float64Array(this.info.numTreePerIteration);
    const path = { predictor: hot(() => packed.bindRow(input, output, raw === 1)), input, output };
    this.packedRows[raw] = path;
    return path;
  }

  /** The single-row path for these options; the default one without building a key. */
  private pathFor(options: PredictOptions): RowPath {
    if (
      options.type === undefined &&
      options.startIteration === undefined &&
      options.numIterations === undefined
    ) {
      if (this.defaultRow === undefined) this.defaultRow = this.rowPath(options);
      return this.defaultRow;
    }
    return this.rowPath(options);
  }

  private rowPath(options: PredictOptions): RowPath {
    const type = predictType(options);
    const start = options.startIteration ?? 0;
    const num = options.numIterations ?? -1;
    const key = `${type}|${start}|${num}`;
    let path = this.rowPaths.get(key);
    if (!path) {
      const { RowPredictor } = loadBinding();
      const input = new Float64Array(this.info.numFeatures);
      const output = new Float64Array(this.outputWidth(options));
      const predictor = call(() => new RowPredictor(this.booster, type, start, num, input, output));
      path = { predictor, input, output };
      this.rowPaths.set(key, path);
    }
    return path;
  }

  /** The model in LightGBM's text format. */
  toString(): string {
    return call(() => this.booster.saveModelToString(0, -1, 0));
  }

  dispose(): void {
    for (const path of this.rowPaths.values()) path.predictor.dispose();
    this.rowPaths.clear();
    this.defaultRow = undefined;
    this.packed?.dispose();
    this.packed = undefined;
    this.packedRows = [undefined, undefined];
    this.booster.dispose();
  }

  get disposed(): boolean {
    return this.booster.disposed;
  }

  private args(options: PredictOptions): [number, number, number, string] {
    const threads = options.numThreads === undefined ? this.defaultThreads : checkThreads(options.numThreads);
    // num_threads is always explicit: the single-row FastInit changes LightGBM's global default.
    return [
      predictType(options),
      options.startIteration ?? 0,
      options.numIterations ?? -1,
      `num_threads=${threads}`,
    ];
  }
}

/** predictRow's `out`: a Float64Array with room for `width` values. */
function checkOut(out: Float64Array, width: number): void {
  if (!(out instanceof Float64Array) || out.length < width) {
    throw new RangeError(`out must be a Float64Array of at least ${width} values`);
  }
}

/** Normal or raw output of every iteration: what the packed-tree kernel computes. */
function isWholeModel(options: PredictOptions): boolean {
  return (
    (options.type === undefined || options.type === "normal" || options.type === "raw") &&
    options.startIteration === undefined &&
    options.numIterations === undefined
  );
}

/** The packed-tree kernel for a parsed model, or undefined when it has linear leaves. */
function packedForest(model: ParsedModel): NativePackedForest | undefined {
  const layout = buildLayout(model);
  if (layout.anyLinear || layout.numTrees === 0) return undefined;
  const { PackedForest } = loadBinding();
  const spec = transformSpec(model.objectiveLine);
  try {
    return new PackedForest(
      layout.recF64,
      layout.recRoot,
      layout.recCatStart,
      layout.recCatWords,
      layout.catBits,
      layout.numFeatures,
      model.numTreePerIteration,
      model.objective === "" ? PACKED_TRANSFORM.identity : PACKED_TRANSFORM[spec.kind],
      spec.sigmoid,
      model.averageOutput,
    );
  } catch {
    // The kernel only speeds things up: a layout it refuses (none is known) leaves the model on LightGBM.
    return undefined;
  }
}

function predictType(options: PredictOptions): number {
  const type = options.type ?? "normal";
  const code = PREDICT_TYPE[type];
  if (code === undefined) {
    throw new RangeError(
      `type must be one of ${Object.keys(PREDICT_TYPE).join(", ")}, got ${JSON.stringify(type)}`,
    );
  }
  return code;
}

function checkThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new RangeError(`numThreads must be an integer >= 1, got ${n}`);
  return n;
}
