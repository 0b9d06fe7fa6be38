/**
 * The pure TypeScript engine: LightGBM text models evaluated with LightGBM's exact rules and
 * arithmetic, on a flat typed-array layout. Browser-safe (no `node:` imports).
 */

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

export { ModelParseError } from "../../model-text/errors.js";
export type { ModelHeader, ParsedModel, ParsedTree } from "../../model-text/parse.js";
export { parseModel, parseModelHeader } from "../../model-text/parse.js";

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
    checkPredictOptions(options);
    return outputWidthFor(this.info, options);
  }

  predict(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    this.checkAlive();
    checkMatrix(data, nrow, this.info.numFeatures);
    checkPredictOptions(options);
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
    checkPredictOptions(options);
    checkRow(row, this.info.numFeatures, out, () => outputWidthFor(this.info, options));
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
      return leafIndices(ev, this.layout, data, nrow, t0, t1, into ?? new Float64Array(nrow * (t1 - t0)));
    }

    if (type === "contrib") {
      if (this.model.linearTree) {
        // LightGBM's own refusal (LGBM_BoosterPredictForMat fails the same way on the native engine)
        throw new LightGBMError("Predicting SHAP feature contributions is not implemented for linear trees.");
      }
      this.shap ??= makeShap(this.layout);
      return contributions(
        this.shap,
        data,
        nrow,
        nf,
        k,
        t0,
        t1,
        into ?? new Float64Array(nrow * k * (nf + 1)),
      );
    }

    const out = into ?? new Float64Array(nrow * k);
    ev.rawBatch(data, nrow, t0, t1, k, out);
    if (type === "raw") return out;
    return finishOutput(out, nrow, k, this.model.averageOutput ? count : null, this.transform);
  }
}
