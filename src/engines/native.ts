/**
 * The native engine: LightGBM itself, through the addon. Raw and normal outputs of the whole model go
 * through the model compiled to WebAssembly (src/compiled/: LightGBM's raw scores bit for bit, 3-7x its
 * speed), converted to normal outputs by the addon with glibc's libm as LightGBM does, on worker threads
 * that sleep when idle (see NativeEngineOptions.compiled). Everything else (leaf indices, SHAP values,
 * iteration ranges) is LightGBM's: batch predicts pass the caller's Float64Array to LightGBM without
 * copying, predictAsync runs on libuv's thread pool, predictRow uses LGBM_BoosterPredictForMatSingleRowFast.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { CompileLimitError } from "../compiled/compile.js";
import { CompiledForest } from "../compiled/forest.js";
import { ForestPool, MIN_THREADED_ROWS, type OutputConversion, type ThreadHost } from "../compiled/pool.js";
import { lendingThreadHost } from "../compiled/pool-node.js";
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
  loadedAddon,
  type NativeBooster,
  type NativeOutputConverter,
  type NativeRowPredictor,
  type NativeTableWalk,
  PREDICT_TYPE,
  TRANSFORM_CODE,
} from "../native/binding.js";
import { checkMatrix, type Engine, type ModelInfo, outputWidthFor, type PredictOptions } from "./engine.js";

export interface NativeEngineOptions {
  /**
   * Default threads for batch predictions (default 1). More threads only pay on a large batch with idle
   * cores; with the other cores busy they were slower at every batch size measured here (README, threads).
   */
  numThreads?: number;
  /**
   * Raw and normal predictions of the whole model (predict, predictAsync, predictRow) run on the model
   * compiled to WebAssembly (src/compiled/), converted by the addon with glibc's libm: LightGBM's values
   * bit for bit (default true). Batches use up to numThreads threads (the caller and worker threads; an
   * async batch runs on workers only). Engines made from a training booster (fromBooster) never use it;
   * leaf and SHAP outputs and iteration ranges always go through LightGBM.
   */
  compiled?: boolean;
  /** The former name of `compiled` (the packed-tree kernel it replaced). */
  packedTrees?: boolean;
  /**
   * Who walks the tables of big models' single rows and small batches (src/compiled/walk.ts): the addon's
   * SIMD kernels ("avx512", "avx2") or the WebAssembly code ("wasm"). Default "auto": the best kernel this
   * CPU runs, else "wasm". Asking for a kernel the CPU lacks throws a RangeError.
   */
  walkKernel?: WalkKernel;
}

export type WalkKernel = "auto" | "avx512" | "avx2" | "wasm";

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

/** Up to this many rows, predict() loops the single-row path in C++ (measured break-even: ~32-64 rows). */
export const SMALL_BATCH_ROWS = 32;

/** Worker threads of a compiled forest at most (an async call runs on all of them). */
const MAX_WORKERS = 16;

/** Predict calls are hot: LightGBM logs nothing on success, so logs are only forwarded on failure. */
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
  /** The compiled path, when enabled (see NativeEngineOptions.compiled). */
  private compiledPath: CompiledPath | undefined;

  private constructor(
    private readonly booster: NativeBooster,
    objectiveLine: string,
    options: NativeEngineOptions,
    parsed?: ParsedModel,
  ) {
    this.defaultThreads = checkThreads(options.numThreads ?? 1);
    if (parsed !== undefined && (options.compiled ?? options.packedTrees) !== false) {
      try {
        this.compiledPath = compiledPath(parsed, this.defaultThreads, options.walkKernel ?? "auto");
      } catch (err) {
        // a model beyond the compiler's limits (depth, size) stays on LightGBM
        if (!(err instanceof CompileLimitError)) throw err;
      }
    }
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

  /** True when raw and normal predictions run on the compiled model (see NativeEngineOptions.compiled). */
  get compiled(): boolean {
    return this.compiledPath !== undefined;
  }

  /**
   * Who walks big models' single rows and small batches: "avx512" or "avx2" (the addon's kernels), "wasm",
   * or undefined when the model has no walk (small models, or not compiled).
   */
  get walkKernel(): "avx512" | "avx2" | "wasm" | undefined {
    const path = this.compiledPath;
    if (path === undefined || !path.forest.info.hasWalk) return undefined;
    return path.walker?.isa ?? "wasm";
  }

  /** The former name of `compiled`. */
  get packedTrees(): boolean {
    return this.compiled;
  }

  /**
   * Memory of the compiled model (module bytes, WebAssembly memory, and the addon's copy of the walk's
   * tables when its kernel walks them), when there is one.
   */
  get compiledMemory():
    | { wasmBytes: number; memoryBytes: number; tableBytes: number; walkerBytes: number }
    | undefined {
    const path = this.compiledPath;
    if (path === undefined) return undefined;
    return { ...path.forest.memoryUse, walkerBytes: path.walker?.bytes ?? 0 };
  }

  /** The underlying booster, for training and saving. */
  get native(): NativeBooster {
    return this.booster;
  }

  outputWidth(options: PredictOptions = {}): number {
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    const path = this.compiledFor(options);
    if (path !== undefined) {
      checkMatrix(data, nrow, this.info.numFeatures);
      const threads = this.threadsFor(options);
      const convert = options.type !== "raw" && path.converts;
      if (threads > 1 && nrow >= MIN_THREADED_ROWS) {
        // on threads, each converts the outputs of its own blocks (the pool says whether they did)
        const { out, converted } = this.poolOf(path).predict(data, nrow, threads, convert);
        if (convert && !converted) hot(() => path.converter.convert(out, nrow));
        return out;
      }
      const out = new Float64Array(nrow * this.info.numTreePerIteration);
      path.forest.predict(data, nrow, out);
      if (convert) hot(() => path.converter.convert(out, nrow));
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
    const path = this.compiledFor(options);
    if (path !== undefined) {
      // on worker threads, whatever the size: the caller's thread stays free, and the promise settles in a
      // later turn of the event loop, as LightGBM's own async predicts do (the server's batcher relies on it)
      checkMatrix(data, nrow, this.info.numFeatures);
      const out = new Float64Array(nrow * this.info.numTreePerIteration);
      await this.poolOf(path).predictAsync(data, nrow, out, this.threadsFor(options));
      if (options.type !== "raw" && path.converts) hot(() => path.converter.convert(out, nrow));
      return out;
    }
    try {
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
    const compiled = this.compiledPath;
    if (compiled !== undefined && isWholeModel(options)) {
      src = compiled.rowRaw;
      compiled.forest.predictRow(row, src);
      if (options.type !== "raw" && compiled.converts) compiled.rowConvert(); // the SDK's hottest call
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

  /** The compiled path when it serves this call: raw or normal output of the whole model. */
  private compiledFor(options: PredictOptions): CompiledPath | undefined {
    return this.compiledPath !== undefined && isWholeModel(options) ? this.compiledPath : undefined;
  }

  private threadsFor(options: PredictOptions): number {
    return options.numThreads === undefined ? this.defaultThreads : checkThreads(options.numThreads);
  }

  /** The compiled path's worker threads, started on the first threaded or async batch. */
  private poolOf(path: CompiledPath): ForestPool {
    const k = path.conversion.k;
    path.pool ??= new ForestPool(path.forest, path.workers, threadHost(), {
      spec: path.conversion,
      finish: (outByte, rows) =>
        path.converter.convert(path.forest.view().subarray(outByte >>> 3, (outByte >>> 3) + rows * k), rows),
    });
    return path.pool;
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
    this.compiledPath?.pool?.dispose();
    this.compiledPath = undefined;
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

/** Normal or raw output of every iteration: what the compiled model computes. */
function isWholeModel(options: PredictOptions): boolean {
  return (
    (options.type === undefined || options.type === "normal" || options.type === "raw") &&
    options.startIteration === undefined &&
    options.numIterations === undefined
  );
}

/** The compiled model, its output converter (glibc's libm, in the addon) and its threads. */
interface CompiledPath {
  forest: CompiledForest;
  converter: NativeOutputConverter;
  /** Worker threads the pool will have (an async batch runs on them all, a sync one beside the caller). */
  workers: number;
  pool: ForestPool | undefined;
  /** False when normal outputs are the raw scores (identity transform, no averaging): no call to make. */
  converts: boolean;
  /** The converter's arguments, for the pool's workers to build their own. */
  conversion: OutputConversion;
  /** The single-row path's raw scores, converted in place by rowConvert. */
  rowRaw: Float64Array;
  rowConvert: () => void;
  /** The addon's walk kernel, when it walks the forest's tables. */
  walker: NativeTableWalk | undefined;
}

function compiledPath(model: ParsedModel, defaultThreads: number, walkKernel: WalkKernel): CompiledPath {
  if (!["auto", "avx512", "avx2", "wasm"].includes(walkKernel))
    throw new RangeError(
      `walkKernel must be one of auto, avx512, avx2, wasm, got ${JSON.stringify(walkKernel)}`,
    );
  const layout = buildLayout(model);
  const workers = Math.min(MAX_WORKERS, Math.max(1, defaultThreads, availableParallelism()));
  const forest = CompiledForest.fromModel(model, layout, { shared: true, maxThreads: workers + 1 });
  const { OutputConverter, TableWalk } = loadBinding();
  const source = walkKernel === "wasm" ? undefined : forest.walkSource();
  let walker: NativeTableWalk | undefined;
  if (source !== undefined && (walkKernel !== "auto" || TableWalk.isas().length > 0)) {
    walker = call(() => new TableWalk(source.tables, source.spec, walkKernel as "auto" | "avx512" | "avx2"));
    forest.attachWalker(walker);
  }
  const spec = transformSpec(model.objectiveLine);
  const k = model.numTreePerIteration;
  const conversion: OutputConversion = {
    transform: model.objective === "" ? TRANSFORM_CODE.identity : TRANSFORM_CODE[spec.kind],
    sigmoid: spec.sigmoid,
    k,
    average: model.averageOutput ? model.numIterations : 0,
  };
  const { transform, sigmoid, average } = conversion;
  const converter = call(() => new OutputConverter(transform, sigmoid, k, average));
  const rowRaw = new Float64Array(k);
  const converts = (model.objective !== "" && spec.kind !== "identity") || model.averageOutput;
  return {
    forest,
    converter,
    workers,
    pool: undefined,
    converts,
    conversion,
    rowRaw,
    rowConvert: converter.bindRow(rowRaw),
    walker,
  };
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

let host: ThreadHost | undefined;
/** Worker threads that copy their own blocks of a synchronous batch through the addon (native/row_loan.h). */
function threadHost(): ThreadHost {
  if (host === undefined) {
    const binding = loadBinding();
    const addon = loadedAddon();
    if (addon === undefined) throw new Error("the native addon is not loaded");
    host = lendingThreadHost(addon.path, binding);
  }
  return host;
}
