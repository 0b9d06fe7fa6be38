/**
 * The native addon's surface, declared as one typed interface (as onnxruntime-node does), and its
 * loader. Loading is lazy so that the js engine works on machines without the addon.
 */
import { getLogger } from "../logger.js";
import type { AsyncDone } from "./async.js";
import { loadedBinding } from "./loader.js";

/** LightGBM's predict types, as the C API numbers them (C_API_PREDICT_*). */
export const PREDICT_TYPE = { normal: 0, raw: 1, leaf: 2, contrib: 3 } as const;

export interface NativeBooster {
  numFeatures(): number;
  numClasses(): number;
  numTreePerIteration(): number;
  currentIteration(): number;
  numTotalModel(): number;
  featureNames(): string[];
  /** JSON of the parameters stored with the model. */
  loadedParams(): string;
  calcNumPredict(nrow: number, type: number, startIteration: number, numIterations: number): number;
  predict(
    data: Float64Array,
    nrow: number,
    ncol: number,
    type: number,
    startIteration: number,
    numIterations: number,
    params: string,
  ): Float64Array;
  /** As predict, on libuv's thread pool; `done(err, out)` on the JS thread (see native/predict_worker.h). */
  predictAsync(
    data: Float64Array,
    nrow: number,
    ncol: number,
    type: number,
    startIteration: number,
    numIterations: number,
    params: string,
    done: AsyncDone,
  ): void;
  addValid(dataset: NativeDataset): void;
  /** One boosting round; true when no further split could be made. */
  updateOneIter(): boolean;
  rollbackOneIter(): void;
  evalNames(): string[];
  /** Metrics on dataset `index`: 0 is the training data, 1.. the validation sets. */
  getEval(index: number): Float64Array;
  saveModelToString(startIteration: number, numIterations: number, importanceType: number): string;
  featureImportance(numIterations: number, importanceType: number): Float64Array;
  dispose(): void;
  readonly disposed: boolean;
}

/**
 * The single-row hot path: a FastConfig bound to two buffers the caller owns. Copy a row into `input`,
 * call run(), read `output`. One per thread and configuration (a Booster lives in one JS thread).
 */
export interface NativeRowPredictor {
  run(): void;
  /** The same FastConfig over each row of a small row-major matrix: nrow * width values. */
  runMany(data: Float64Array, nrow: number): Float64Array;
  dispose(): void;
}

/**
 * The objective's ConvertOutput in C++ with glibc's libm (native/output_converter.cc): the compiled
 * engine's raw scores become LightGBM's normal outputs bit for bit.
 */
export interface NativeOutputConverter {
  /** Converts the first nrow * k values of out in place. */
  convert(out: Float64Array, nrow: number): void;
  /** A function that converts `slot` (k values) in place, with no argument checks: the single-row path. */
  bindRow(slot: Float64Array): () => void;
}

/** The transform codes of the output converter (Conversion::Transform in native/output_converter.h). */
export const TRANSFORM_CODE = {
  identity: 0,
  sigmoid: 1,
  sigmoidPerClass: 2,
  softmax: 3,
  log1pExp: 4,
  exp: 5,
  signSquare: 6,
} as const;

/**
 * The compiled forest's table walk run by the addon's SIMD kernels (native/walk_kernel.cc): AVX-512 or
 * AVX2 gathers, a lane taking the next tree as soon as it reaches a leaf.
 */
export interface NativeTableWalk {
  /** Raw scores of the n rank rows at the start of `ranks` into out[0 .. n * k). */
  run(ranks: Uint8Array, n: number, out: Float64Array): void;
  /** A function that walks the one rank row of `ranks` into `out`, with no argument checks. */
  bindRow(ranks: Uint8Array, out: Float64Array): () => void;
  /** The kernel: "avx512" or "avx2". */
  readonly isa: "avx512" | "avx2";
  /** Native memory it holds (its copy of the tables, and scratch), reported to V8 as external memory. */
  readonly bytes: number;
}

export interface NativeDataset {
  setField(name: "label" | "weight" | "init_score", values: Float64Array): void;
  setFeatureNames(names: string[]): void;
  numData(): number;
  numFeature(): number;
  dispose(): void;
}

export interface NativeBinding {
  Booster: {
    new (mode: "file", path: string): NativeBooster;
    new (mode: "string", model: string): NativeBooster;
    new (mode: "train", dataset: NativeDataset, params: string): NativeBooster;
  };
  RowPredictor: new (
    booster: NativeBooster,
    type: number,
    startIteration: number,
    numIterations: number,
    input: Float64Array,
    output: Float64Array,
  ) => NativeRowPredictor;
  /** transform: a TRANSFORM_CODE; average: iterations to divide by (random forests), else 0. */
  OutputConverter: new (
    transform: number,
    sigmoid: number,
    k: number,
    average: number,
  ) => NativeOutputConverter;
  /** Refuses (RangeError) tables that fail its checks and kernels this CPU lacks. */
  TableWalk: {
    new (tables: Uint8Array, spec: Int32Array, isa: "auto" | "avx512" | "avx2"): NativeTableWalk;
    /** The kernels this CPU runs, best first (empty off x86-64 or without AVX2). */
    isas(): ("avx512" | "avx2")[];
  };
  Dataset: new (
    data: Float64Array,
    nrow: number,
    ncol: number,
    params: string,
    reference?: NativeDataset,
  ) => NativeDataset;
  /** LightGBM log lines captured since the last call. */
  takeLogs(): string[];
  /**
   * Lends a batch's rows to compiled-forest worker threads for the length of a synchronous call
   * (native/row_loan.h): a worker copies its own blocks with copyLent. Returns the loan's token.
   */
  lendRows(data: Float64Array): number;
  /** Ends a loan; copies in flight finish first, later ones return false. */
  endLoan(token: number): void;
  /** Copies bytes of a loan into dst (bounds-checked on both sides); false once the loan has ended. */
  copyLent(token: number, srcByte: number, dst: ArrayBufferView, dstByte: number, bytes: number): boolean;
  /** Lends a synchronous batch's output array, writable: each thread writes its blocks with copyToLent. */
  lendOutput(out: Float64Array): number;
  /**
   * Copies bytes of src into an output loan (bounds-checked on both sides; a row loan is refused); false
   * once the loan has ended.
   */
  copyToLent(token: number, src: ArrayBufferView, srcByte: number, dstByte: number, bytes: number): boolean;
  /** Loans not yet ended, in the whole process (tests and diagnostics). */
  openLoans(): number;
}

// The loader lives in loader.ts (where the addon comes from); this file declares what it is.
export {
  explainLoadFailure,
  loadBinding,
  loadedAddon,
  nativeAvailable,
  setNativeBinding,
} from "./loader.js";

/** Forwards LightGBM's captured log lines to the SDK logger ([Warning] as warn, the rest as debug). */
export function flushNativeLogs(): void {
  const binding = loadedBinding();
  if (!binding) return;
  const logger = getLogger();
  for (const line of binding.takeLogs()) {
    if (line.includes("[Warning]")) logger.warn(line);
    else if (line.includes("[Fatal]")) logger.error(line);
    else logger.debug(line);
  }
}
