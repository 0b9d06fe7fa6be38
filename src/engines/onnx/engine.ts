/**
 * The onnx engine: the model exported to ONNX by exportOnnx (double precision, TreeEnsemble of
 * ai.onnx.ml opset 5) and run by onnxruntime-node.
 *
 * - Predict types "normal" and "raw" (the graph's `prediction` and `raw` outputs); "leaf" and
 *   "contrib" throw: the ONNX graph has no leaf indices or SHAP values.
 * - Iteration ranges: one session per (start, count), exported and created on first use.
 * - Threads: `numThreads` at load sets onnxruntime's intra-op threads for all of the engine's sessions
 *   (default 0: onnxruntime's choice, one per physical core). The per-call `numThreads` option is
 *   ignored: onnxruntime fixes threads per session.
 * - Sync and async: `predictAsync` always works. `predict` and `predictRow` are synchronous through
 *   onnxruntime-node's native session (see runtime.ts); where that path is unavailable they throw an
 *   error that points to predictAsync.
 */
import { readFileSync } from "node:fs";
import { DisposedError } from "../../errors.js";
import { modelInfoOf, type ParsedModel, parseModel } from "../../model-text/parse.js";
import {
  type Engine,
  iterationRange,
  type ModelInfo,
  outputWidthFor,
  type PredictOptions,
} from "../engine.js";
import { exportOnnxModel } from "./export.js";
import {
  createPublicSession as createPublic,
  createSession,
  createSessionSync,
  type OrtSession,
} from "./runtime.js";

export interface OnnxEngineOptions {
  /** onnxruntime intra-op threads (default 0: onnxruntime's default). */
  numThreads?: number;
  /** Set false to use only onnxruntime-node's public async API (sync predict then throws). */
  sync?: boolean;
}

export class OnnxUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxUnsupportedError";
  }
}

export class OnnxEngine implements Engine {
  readonly name = "onnx" as const;
  readonly info: ModelInfo;
  readonly #model: ParsedModel;
  readonly #threads: number;
  readonly #sync: boolean;
  readonly #sessions = new Map<string, OrtSession>();
  #disposed = false;

  private constructor(model: ParsedModel, first: OrtSession, options: OnnxEngineOptions) {
    this.#model = model;
    this.#threads = options.numThreads ?? 0;
    this.#sync = options.sync !== false && first.runSync !== undefined;
    this.#sessions.set(`0:${model.numIterations}`, first);
    this.info = modelInfoOf(model);
  }

  /** Exports the model to ONNX and opens an onnxruntime session on it. */
  static async fromString(text: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    if (typeof text !== "string") throw new TypeError("model text must be a string");
    const model = parseModel(text);
    checkThreads(options.numThreads);
    const { bytes } = exportOnnxModel(model);
    const ortOptions = { intraOpNumThreads: options.numThreads ?? 0 };
    const session =
      options.sync === false ? await createPublic(bytes, ortOptions) : await createSession(bytes, ortOptions);
    return new OnnxEngine(model, session, options);
  }

  static async fromFile(path: string, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    return OnnxEngine.fromString(readFileSync(path, "utf8"), options);
  }

  /** The parsed LightGBM model the engine exported. */
  get model(): ParsedModel {
    return this.#model;
  }

  /** True when predict / predictRow work synchronously. */
  get synchronous(): boolean {
    return this.#sync;
  }

  outputWidth(options: PredictOptions = {}): number {
    this.#alive();
    checkType(options);
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    const [key, output] = this.#prepare(data, nrow, options);
    if (!this.#sync) {
      throw new OnnxUnsupportedError(
        "the onnx engine cannot predict synchronously here (onnxruntime-node's native session is not reachable); use predictAsync",
      );
    }
    if (nrow === 0) return new Float64Array(0);
    let session = this.#sessions.get(key);
    if (!session) {
      session = createSessionSync(this.#bytesFor(options), { intraOpNumThreads: this.#threads })!;
      this.#sessions.set(key, session);
    }
    return session.runSync!(data, nrow, this.info.numFeatures, output);
  }

  async predictAsync(data: Float64Array, nrow: number, options: PredictOptions = {}): Promise<Float64Array> {
    const [key, output] = this.#prepare(data, nrow, options);
    if (nrow === 0) return new Float64Array(0);
    let session = this.#sessions.get(key);
    if (!session) {
      const bytes = this.#bytesFor(options);
      const ortOptions = { intraOpNumThreads: this.#threads };
      session = this.#sync ? await createSession(bytes, ortOptions) : await createPublic(bytes, ortOptions);
      if (this.#disposed) {
        session.dispose();
        throw new DisposedError("the model has been disposed");
      }
      this.#sessions.set(key, session);
    }
    return session.run(data, nrow, this.info.numFeatures, output);
  }

  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    if (!(row instanceof Float64Array)) throw new TypeError("row must be a Float64Array");
    if (row.length !== this.info.numFeatures) {
      throw new RangeError(
        `row has ${row.length} values but the model has ${this.info.numFeatures} features`,
      );
    }
    const result = this.predict(row, 1, options);
    if (out === undefined) return result;
    if (!(out instanceof Float64Array) || out.length < result.length) {
      throw new RangeError(`out must be a Float64Array of at least ${result.length} values`);
    }
    out.set(result);
    return out;
  }

  dispose(): void {
    this.#disposed = true;
    for (const s of this.#sessions.values()) s.dispose();
    this.#sessions.clear();
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError("the model has been disposed");
  }

  #prepare(data: Float64Array, nrow: number, options: PredictOptions): [string, string] {
    this.#alive();
    if (!(data instanceof Float64Array)) throw new TypeError("data must be a Float64Array");
    if (!Number.isInteger(nrow) || nrow < 0)
      throw new RangeError(`nrow must be a non-negative integer, got ${nrow}`);
    const nf = this.info.numFeatures;
    if (data.length !== nrow * nf) {
      throw new RangeError(
        `data has ${data.length} values, expected nrow * numFeatures = ${nrow} * ${nf} = ${nrow * nf}`,
      );
    }
    const type = checkType(options);
    const { start, count } = iterationRange(
      this.info.numIterations,
      options.startIteration,
      options.numIterations,
    );
    return [`${start}:${count}`, type === "raw" ? "raw" : "prediction"];
  }

  #bytesFor(options: PredictOptions): Uint8Array {
    const { start, count } = iterationRange(
      this.info.numIterations,
      options.startIteration,
      options.numIterations,
    );
    return exportOnnxModel(this.#model, { startIteration: start, numIterations: count > 0 ? count : -1 })
      .bytes;
  }
}

function checkType(options: PredictOptions): "normal" | "raw" {
  const type = options.type ?? "normal";
  if (type === "normal" || type === "raw") return type;
  if (type === "leaf" || type === "contrib") {
    throw new OnnxUnsupportedError(
      `the onnx engine does not support "${type}" predictions (an ONNX tree ensemble has no leaf indices or SHAP values); use the native or js engine`,
    );
  }
  throw new RangeError(`type must be one of normal, raw, leaf, contrib, got ${JSON.stringify(type)}`);
}

function checkThreads(n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 1024)) {
    throw new RangeError(`numThreads must be an integer >= 0, got ${n}`);
  }
}
