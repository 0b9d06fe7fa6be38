/**
 * The wasm engine: the model compiled to WebAssembly (src/compiled/), for every JavaScript runtime without
 * the native addon (browsers, Electron renderers, platforms without a prebuilt addon). Raw scores are
 * LightGBM's bit for bit; the output transforms are computed with the runtime's Math (not glibc's libm, so
 * normal outputs can differ from LightGBM's in the last bit). Leaf indices, iteration ranges and SHAP values
 * go through the reference tree walk and TreeSHAP of src/model-text (as the js engine computes them).
 *
 * Browser-safe (no `node:` imports). Threads need a ThreadHost (Node: passed by createEngine / Model.load).
 */

import { CompileLimitError } from "../../compiled/compile.js";
import { CompiledForest, type ForestMemory } from "../../compiled/forest.js";
import { ForestPool, MIN_THREADED_ROWS, type ThreadHost } from "../../compiled/pool.js";
import { DisposedError, LightGBMError } from "../../errors.js";
import { type Evaluator, leafIndices, makeEvaluator } from "../../model-text/evaluate.js";
import { buildLayout, type Layout } from "../../model-text/layout.js";
import { modelInfoOf, type ParsedModel, parseModel } from "../../model-text/parse.js";
import { contributions, makeShap, type Shap } from "../../model-text/shap.js";
import { finishOutput, type Transform, transformFor } from "../../model-text/transform.js";
import {
  checkMatrix,
  checkPredictOptions,
  checkRow,
  type Engine,
  iterationRange,
  type ModelInfo,
  outputWidthFor,
  type PredictOptions,
} from "../engine.js";

export interface WasmEngineOptions {
  /**
   * Threads for batches (default 1): the caller plus numThreads - 1 workers sharing the module's memory.
   * Needs `threadHost`; per call, `PredictOptions.numThreads` can ask for fewer.
   */
  numThreads?: number;
  /** Starts worker threads (Node: nodeThreadHost from src/compiled/pool-node.ts). */
  threadHost?: ThreadHost;
  /**
   * The table walk for single rows and batches of up to 32 rows (src/compiled/walk.ts): "auto" (default:
   * models of 8,192 splits and more, whose compiled code outgrows the caches), "always" (any model it
   * takes: no linear leaves, categories 0 .. 31), "never". Same bits either way; a speed choice.
   */
  walk?: "auto" | "always" | "never";
}

let decoder: TextDecoder | undefined;

function textOf(source: string | ArrayBuffer | Uint8Array): string {
  if (typeof source === "string") return source;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    decoder ??= new TextDecoder("utf-8", { fatal: false });
    return decoder.decode(source);
  }
  throw new TypeError("model must be a string, an ArrayBuffer or a Uint8Array");
}

function checkThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new RangeError(`numThreads must be an integer >= 1, got ${n}`);
  return n;
}

export class WasmEngine implements Engine {
  readonly name = "wasm" as const;
  readonly info: ModelInfo;
  readonly model: ParsedModel;

  private readonly layout: Layout;
  /** The compiled model; null for a model beyond the compiler's limits (the reference walk serves it). */
  private forest: CompiledForest | null;
  private disposed = false;
  private pool: ForestPool | undefined;
  private readonly threads: number;
  private readonly transform: Transform | null;
  private readonly k: number;
  private evaluator: Evaluator | null = null;
  private shap: Shap | null = null;

  private constructor(
    model: ParsedModel,
    layout: Layout,
    forest: CompiledForest | null,
    options: WasmEngineOptions,
  ) {
    this.model = model;
    this.layout = layout;
    this.forest = forest;
    this.info = modelInfoOf(model);
    this.k = model.numTreePerIteration;
    this.transform = model.objective === "" ? null : transformFor(model.objectiveLine);
    this.threads = forest?.maxThreads ?? 1;
    if (forest !== null && this.threads > 1 && options.threadHost !== undefined) {
      // workers = threads: a synchronous call runs on the caller and threads - 1 of them, an async one on all
      this.pool = new ForestPool(forest, this.threads - 1, options.threadHost);
    }
  }

  private static prepare(source: string | ArrayBuffer | Uint8Array, options: WasmEngineOptions) {
    const model = parseModel(textOf(source));
    const layout = buildLayout(model);
    const threads = checkThreads(options.numThreads ?? 1);
    const pooled = threads > 1 && options.threadHost !== undefined;
    const walk = options.walk ?? "auto";
    if (walk !== "auto" && walk !== "always" && walk !== "never")
      throw new RangeError(`walk must be "auto", "always" or "never", got ${String(walk)}`);
    return { model, layout, forestOptions: { shared: pooled, maxThreads: pooled ? threads : 1, walk } };
  }

  /**
   * Parses, compiles and instantiates synchronously. Fine in Node and workers; a browser's main thread
   * refuses to compile modules over 4 KB synchronously: use `WasmEngine.create` there.
   */
  static fromString(text: string | ArrayBuffer | Uint8Array, options: WasmEngineOptions = {}): WasmEngine {
    const { model, layout, forestOptions } = WasmEngine.prepare(text, options);
    const forest = withinLimits(() => CompiledForest.fromModel(model, layout, forestOptions));
    return new WasmEngine(model, layout, forest, options);
  }

  /** Parses, compiles (asynchronously where the runtime can) and instantiates. */
  static async create(
    source: string | ArrayBuffer | Uint8Array,
    options: WasmEngineOptions = {},
  ): Promise<WasmEngine> {
    const { model, layout, forestOptions } = WasmEngine.prepare(source, options);
    let forest: CompiledForest | null = null;
    try {
      forest = await CompiledForest.create(model, layout, forestOptions);
    } catch (err) {
      if (!(err instanceof CompileLimitError)) throw err;
    }
    return new WasmEngine(model, layout, forest, options);
  }

  /** Sizes of the compiled module and of its memory (zeros when the model was not compiled). */
  get memoryUse(): ForestMemory {
    this.live();
    return this.forest?.memoryUse ?? { wasmBytes: 0, memoryBytes: 0, tableBytes: 0 };
  }

  /** False for a model beyond the compiler's limits (a tree over 1,024 levels deep, over 4M splits). */
  get compiled(): boolean {
    return this.forest !== null;
  }

  /** Whether single rows and small batches take the table walk (see WasmEngineOptions.walk). */
  get walks(): boolean {
    return this.forest?.info.hasWalk ?? false;
  }

  outputWidth(options?: PredictOptions): number {
    this.live();
    checkPredictOptions(options);
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    const forest = this.live();
    checkMatrix(data, nrow, this.info.numFeatures);
    if (forest !== null && isWholeModel(options)) {
      const threads = options.numThreads === undefined ? this.threads : checkThreads(options.numThreads);
      let out: Float64Array;
      if (this.pool !== undefined && threads > 1 && nrow >= MIN_THREADED_ROWS)
        out = this.pool.predict(data, nrow, threads).out;
      else {
        out = new Float64Array(nrow * this.k);
        forest.predict(data, nrow, out);
      }
      return options.type === "raw" ? out : this.finish(out, nrow);
    }
    checkPredictOptions(options);
    return this.walk(data, nrow, options);
  }

  async predictAsync(data: Float64Array, nrow: number, options: PredictOptions = {}): Promise<Float64Array> {
    this.live();
    checkMatrix(data, nrow, this.info.numFeatures);
    const threads = options.numThreads === undefined ? this.threads : checkThreads(options.numThreads);
    if (this.pool !== undefined && threads > 1 && isWholeModel(options) && nrow >= MIN_THREADED_ROWS) {
      const out = new Float64Array(nrow * this.k);
      await this.pool.predictAsync(data, nrow, out, threads); // completes even if disposed meanwhile
      return options.type === "raw" ? out : this.finish(out, nrow);
    }
    return this.predict(data, nrow, options);
  }

  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    const forest = this.live();
    if (forest !== null && isWholeModel(options)) {
      checkRow(row, this.info.numFeatures, out, () => this.k);
      const result = out ?? new Float64Array(this.k);
      forest.predictRow(row, result);
      return options.type === "raw" ? result : this.finish(result, 1);
    }
    checkPredictOptions(options);
    checkRow(row, this.info.numFeatures, out, () => outputWidthFor(this.info, options));
    const result = this.walk(row, 1, options);
    if (out === undefined) return result;
    out.set(result);
    return out;
  }

  dispose(): void {
    this.pool?.dispose();
    this.pool = undefined;
    this.forest = null;
    this.disposed = true;
  }

  private live(): CompiledForest | null {
    if (this.disposed) throw new DisposedError("the model has been disposed");
    return this.forest;
  }

  private finish(out: Float64Array, nrow: number): Float64Array {
    return finishOutput(
      out,
      nrow,
      this.k,
      this.model.averageOutput ? this.info.numIterations : null,
      this.transform,
    );
  }

  /** Leaf indices, SHAP values and iteration ranges: the reference walk (rare requests, exact values). */
  private walk(data: Float64Array, nrow: number, options: PredictOptions): Float64Array {
    const type = options.type ?? "normal";
    const k = this.k;
    const nf = this.info.numFeatures;
    const { start, count } = iterationRange(
      this.info.numIterations,
      options.startIteration,
      options.numIterations,
    );
    const t0 = start * k;
    const t1 = (start + count) * k;
    this.evaluator ??= makeEvaluator(this.layout);
    if (type === "leaf")
      return leafIndices(this.evaluator, this.layout, data, nrow, t0, t1, new Float64Array(nrow * (t1 - t0)));
    if (type === "contrib") {
      if (this.layout.anyLinear) {
        throw new LightGBMError("Predicting SHAP feature contributions is not implemented for linear trees.");
      }
      this.shap ??= makeShap(this.layout);
      return contributions(this.shap, data, nrow, nf, k, t0, t1, new Float64Array(nrow * k * (nf + 1)));
    }
    const out = new Float64Array(nrow * k);
    this.evaluator.rawBatch(data, nrow, t0, t1, k, out);
    if (type === "raw") return out;
    return finishOutput(out, nrow, k, this.model.averageOutput ? count : null, this.transform);
  }
}

/** The compiled forest, or null when the model is beyond the compiler's limits. */
function withinLimits(make: () => CompiledForest): CompiledForest | null {
  try {
    return make();
  } catch (err) {
    if (err instanceof CompileLimitError) return null;
    throw err;
  }
}

/** Normal or raw output of every iteration (what the compiled module computes). */
function isWholeModel(options: PredictOptions): boolean {
  const type = options.type;
  return (
    (type === undefined || type === "normal" || type === "raw") &&
    options.startIteration === undefined &&
    options.numIterations === undefined
  );
}
