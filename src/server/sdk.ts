/**
 * The one place where the server touches the SDK: handlers and the micro-batcher go through
 * `ServedModel`, a thin view of a loaded `Model` (its spec's fields, record schema, encoder, output
 * transform and engine). No validation, encoding or output logic lives here: it is all the SDK's.
 */
import type { ColumnarInput } from "../bundle/encoder.js";
import type { ExplainResult, PredictionResult } from "../bundle/output.js";
import type { InputRecord } from "../bundle/schema.js";
import type { ModelInfo, PredictOptions } from "../engines/engine.js";
import { Model } from "../model.js";

export type RecordInput = InputRecord;
export type Columnar = ColumnarInput;
export type Result = PredictionResult & Record<string, unknown>;
export type Explanation = ExplainResult;

export interface FieldInfo {
  name: string;
  type: string;
  /** Known values of a category field. */
  categories?: string[];
}

export class ServedModel {
  readonly fields: FieldInfo[];
  /** JSON Schema of one record (from the SDK's zod schema). */
  readonly recordSchema: Record<string, unknown>;
  /** A record for the docs: each field's first example, else a category's first value, else 0. */
  readonly example: RecordInput;

  constructor(readonly model: Model) {
    this.fields = model.spec.fields.map((f) => ({
      name: f.name,
      type: f.type,
      ...(f.type === "category" ? { categories: [...f.values] } : {}),
    }));
    this.recordSchema = model.schema.jsonSchema;
    this.example = exampleRecord(model, this.recordSchema);
  }

  static async load(
    path: string,
    options: { engine?: "auto" | "native" | "js"; numThreads?: number; absentFields?: "error" | "missing" },
  ) {
    return new ServedModel(await Model.load(path, options));
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  outputWidth(options: PredictOptions = {}): number {
    return this.model.outputWidth(options);
  }

  /** Records or columns to the encoded matrix; throws the SDK's ValidationError naming each bad field. */
  encode(input: RecordInput[] | Columnar): { data: Float64Array; nrow: number } {
    return this.model.encode(input);
  }

  /** One record into `out` at `offset` (numFeatures values); throws the SDK's ValidationError. */
  encodeInto(record: RecordInput, out: Float64Array, offset: number): void {
    this.model.encodeInto(record, out, offset);
  }

  /**
   * Microseconds to predict one row in a batch on this machine, measured once (the example record,
   * 64 rows, the best of 30 one-thread calls after a warm-up: the best is what noise does not inflate).
   */
  rowMicros(): number {
    if (this.#rowMicros === undefined) {
      const rows = 64;
      let data: Float64Array;
      try {
        data = this.encode(Array.from({ length: rows }, () => this.example)).data;
      } catch {
        data = new Float64Array(rows * this.numFeatures); // an example the spec refuses: zeros will do
      }
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 31; i++) {
        const t0 = performance.now();
        this.predictMatrix(data, rows, { numThreads: 1 });
        if (i > 0) best = Math.min(best, performance.now() - t0);
      }
      this.#rowMicros = Math.max(1e-3, (best * 1000) / rows);
    }
    return this.#rowMicros;
  }
  #rowMicros: number | undefined;

  /** Values per encoded row. */
  get numFeatures(): number {
    return this.model.info.numFeatures;
  }

  /** The engine's normal output for nrow rows to one named result per row. */
  toResults(output: Float64Array, nrow: number): Result[] {
    return this.model.toResults(output, nrow) as Result[];
  }

  predictMatrix(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    return this.model.engine.predict(data, nrow, options);
  }

  /** One encoded row on the engine's fastest single-row path (normal output), into `out` when given. */
  predictRow(row: Float64Array, out?: Float64Array): Float64Array {
    return this.model.engine.predictRow(row, {}, out);
  }

  predictMatrixAsync(data: Float64Array, nrow: number, options: PredictOptions = {}): Promise<Float64Array> {
    return this.model.engine.predictAsync(data, nrow, options);
  }

  /** SHAP contributions per input field (one-hot columns summed back), sorted by magnitude. */
  explain(record: RecordInput): Explanation {
    return this.model.explain(record);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function exampleRecord(model: Model, schema: Record<string, unknown>): RecordInput {
  const props = (schema.properties ?? {}) as Record<string, { examples?: unknown[]; example?: unknown }>;
  const out: RecordInput = {};
  for (const f of model.spec.fields) {
    const p = props[f.name];
    let v: unknown = p?.examples?.[0] ?? p?.example;
    if (v === undefined) {
      if (f.type === "category") v = f.values[0];
      else if (f.type === "boolean") v = false;
      else if ("range" in f && f.range)
        v = f.type === "integer" ? Math.round((f.range[0] + f.range[1]) / 2) : (f.range[0] + f.range[1]) / 2;
      else v = 0;
    }
    out[f.name] = v;
  }
  return out;
}
