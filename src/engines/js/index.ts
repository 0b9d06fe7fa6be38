/**
 * The pure TypeScript engine: LightGBM text models evaluated with LightGBM's exact rules and
 * arithmetic, on a flat typed-array layout. Browser-safe (no `node:` imports).
 */

import { DisposedError, LightGBMError } from "../../errors.js";
import { buildLayout, type Layout } from "../../model-text/layout.js";
import { modelInfoOf, type ParsedModel, parseModel } from "../../model-text/parse.js";
import { type Transform, transformFor } from "../../model-text/transform.js";
import {
  type Engine,
  iterationRange,
  type ModelInfo,
  outputWidthFor,
  type PredictOptions,
  type PredictType,
} from "../engine.js";
import { type Evaluator, makeEvaluator } from "./evaluate.js";
import { makeShap, type Shap } from "./shap.js";

export { ModelParseError } from "../../model-text/errors.js";
export type { ModelHeader, ParsedModel, ParsedTree } from "../../model-text/parse.js";
export { parseModel, parseModelHeader } from "../../model-text/parse.js";

const PREDICT_TYPES: ReadonlySet<string> = new Set<PredictType>(["normal", "raw", "leaf", "contrib"]);

let decoder: TextDecoder | undefined;

/** UTF-8 text of a model held in binary form. */
export function decodeModelBuffer(buf: ArrayBuffer | ArrayBufferView): string {
  let bytes: Uint8Array;
  if (buf instanceof Uint8Array) bytes = buf;
  else if (buf instanceof ArrayBuffer) bytes = new Uint8Array(buf);
  else if (ArrayBuffer.isView(buf)) bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  else throw new TypeError("model buffer must be an ArrayBuffer or a Uint8Array");
  decoder ??= new TextDecoder("utf-8", { fatal: false });
  return decoder.decode(bytes);
}

export class JsEngine implements Engine {
  readonly name = "js" as const;
  readonly info: ModelInfo;
  /** The parsed model (LightGBM's own arrays per tree). */
  readonly model: ParsedModel;

  private readonly layout: Layout;
  private readonly evaluator: Evaluator;
  private readonly transform: Transform | null;
  private shap: Shap | null = null;
  private disposed = false;

  private constructor(model: ParsedModel) {
    this.model = model;
    this.layout = buildLayout(model);
    this.evaluator = makeEvaluator(this.layout);
    this.transform = model.objective === "" ? null : transformFor(model.objectiveLine);
    this.info = modelInfoOf(model);
  }

  /** Loads a LightGBM text model. Throws ModelParseError (with `line`) for malformed text. */
  static fromString(text: string): JsEngine {
    if (typeof text !== "string") throw new TypeError("JsEngine.fromString: text must be a string");
    return new JsEngine(parseModel(text));
  }

  /** Loads a LightGBM text model from its UTF-8 bytes. */
  static fromBuffer(buf: ArrayBuffer | Uint8Array): JsEngine {
    return JsEngine.fromString(decodeModelBuffer(buf));
  }

  outputWidth(options?: PredictOptions): number {
    this.checkAlive();
    checkOptions(options);
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    this.checkAlive();
    if (!(data instanceof Float64Array))
      throw new TypeError(`data must be a Float64Array, got ${describe(data)}`);
    if (!Number.isInteger(nrow) || nrow < 0)
      throw new RangeError(`nrow must be a non-negative integer, got ${nrow}`);
    const nf = this.info.numFeatures;
    if (data.length !== nrow * nf) {
      throw new RangeError(
        `data has ${data.length} values, expected nrow * numFeatures = ${nrow} * ${nf} = ${nrow * nf}`,
      );
    }
    checkOptions(options);
    return this.run(data, nrow, options);
  }

  async predictAsync(data: Float64Array, nrow: number, options?: PredictOptions): Promise<Float64Array> {
    return this.predict(data, nrow, options);
  }

  /**
   * One row. Returns a fresh Float64Array of outputWidth(options) values, or writes into `out` (and
   * returns it) when given, which makes repeated single-row calls allocation-free.
   */
  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    this.checkAlive();
    if (!(row instanceof Float64Array))
      throw new TypeError(`row must be a Float64Array, got ${describe(row)}`);
    if (row.length !== this.info.numFeatures) {
      throw new RangeError(
        `row has ${row.length} values but the model has ${this.info.numFeatures} features`,
      );
    }
    checkOptions(options);
    if (out !== undefined) {
      if (!(out instanceof Float64Array))
        throw new TypeError(`out must be a Float64Array, got ${describe(out)}`);
      const width = outputWidthFor(this.info, options);
      if (out.length !== width) throw new RangeError(`out has ${out.length} values, needs ${width}`);
    }
    return this.run(row, 1, options, out);
  }

  dispose(): void {
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) throw new DisposedError("the model has been disposed");
  }

  private run(data: Float64Array, nrow: number, options: PredictOptions, into?: Float64Array): Float64Array {
    const type = options.type ?? "normal";
    const k = this.info.numTreePerIteration;
    const { start, count } = iterationRange(
      this.info.numIterations,
      options.startIteration,
      options.numIterations,
    );
    const t0 = start * k;
    const t1 = (start + count) * k;
    const nf = this.info.numFeatures;
    const ev = this.evaluator;

    if (type === "leaf") {
      const width = t1 - t0;
      const out = into ?? new Float64Array(nrow * width);
      const leafBase = this.layout.leafBase;
      for (let r = 0, off = 0, o = 0; r < nrow; r++, off += nf) {
        for (let t = t0; t < t1; t++) out[o++] = ev.leaf(data, off, t) - leafBase[t];
      }
      return out;
    }

    if (type === "contrib") {
      if (this.model.linearTree) {
        // LightGBM's own refusal (LGBM_BoosterPredictForMat fails the same way on the native engine)
        throw new LightGBMError("Predicting SHAP feature contributions is not implemented for linear trees.");
      }
      this.shap ??= makeShap(this.layout);
      const shap = this.shap;
      const width = k * (nf + 1);
      const out = into ?? new Float64Array(nrow * width);
      out.fill(0);
      for (let r = 0, off = 0; r < nrow; r++, off += nf) {
        const o = r * width;
        for (let t = t0, c = 0; t < t1; t++) {
          shap.addTree(data, off, t, out, o + c * (nf + 1));
          if (++c === k) c = 0;
        }
      }
      return out;
    }

    const out = into ?? new Float64Array(nrow * k);
    ev.rawBatch(data, nrow, t0, t1, k, out);
    if (type === "raw") return out;
    // GBDT::Predict: average for random forests (over the iterations used), then ConvertOutput.
    if (this.model.averageOutput) {
      for (let i = 0; i < out.length; i++) out[i] /= count;
    }
    const tf = this.transform;
    if (tf !== null) {
      for (let r = 0, o = 0; r < nrow; r++, o += k) tf(out, o, k);
    }
    return out;
  }
}

function checkOptions(options: PredictOptions | undefined): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
  if (options.type !== undefined && !PREDICT_TYPES.has(options.type)) {
    throw new RangeError(
      `type must be one of normal, raw, leaf, contrib, got ${JSON.stringify(options.type)}`,
    );
  }
  // the native engine's ranges (int32; start >= 0)
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

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}
