/**
 * The one place where the server touches the SDK's record API (model.spec / schema / encode / toResults
 * / explain). Handlers and the micro-batcher go through `ServedModel`, so a change in the SDK's names
 * is a change in this file only.
 */

import type { ModelInfo, PredictOptions } from "../engines/engine.js";
import { ValidationError } from "../errors.js";
import { Model } from "../model.js";

export type RecordInput = Record<string, unknown>;
export type Columnar = Record<string, unknown[]>;
export type Result = Record<string, unknown>;

export interface FieldInfo {
  name: string;
  type: string;
  categories?: string[];
  description?: string;
}

export interface Contribution {
  field: string;
  value: number;
}

/** Binary and regression: one explanation; multiclass: one per class. */
export type Explanation =
  | { baseValue: number; contributions: Contribution[] }
  | { classes: { class: string | number; baseValue: number; contributions: Contribution[] }[] };

/** The record API as the SDK exposes it (src/model.ts + src/bundle/). */
interface RecordApi {
  spec: unknown;
  schema: { jsonSchema: Record<string, unknown> } & Record<string, unknown>;
  validate(record: unknown): unknown;
  encode(input: RecordInput[] | Columnar): { data: Float64Array; nrow: number };
  toResults(output: Float64Array, nrow: number): Result[];
  explain(record: RecordInput): Explanation;
}

function hasRecordApi(model: Model): model is Model & RecordApi {
  const m = model as unknown as Partial<RecordApi>;
  return typeof m.encode === "function" && typeof m.toResults === "function";
}

export class ServedModel {
  readonly fields: FieldInfo[];
  readonly recordSchema: Record<string, unknown>;
  readonly example: RecordInput;

  constructor(readonly model: Model) {
    if (hasRecordApi(model)) {
      this.fields = fieldsFromSpec(model.spec, model.info);
      this.recordSchema = model.schema.jsonSchema;
    } else {
      this.fields = model.info.featureNames.map((name) => ({ name, type: "number" }));
      this.recordSchema = fallbackSchema(this.fields);
    }
    this.example = exampleRecord(this.fields, this.recordSchema);
  }

  static async load(path: string, options: { engine?: "auto" | "native" | "js"; numThreads?: number }) {
    return new ServedModel(await Model.load(path, options));
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  outputWidth(options: PredictOptions = {}): number {
    return this.model.outputWidth(options);
  }

  /** Records (array) or columnar input to the encoded matrix; throws ValidationError naming each bad field. */
  encode(input: RecordInput[] | Columnar): { data: Float64Array; nrow: number } {
    const m = this.model;
    if (hasRecordApi(m)) return m.encode(input);
    return fallbackEncode(this.fields, input);
  }

  /** The engine's normal output for nrow rows to one result object per row. */
  toResults(output: Float64Array, nrow: number): Result[] {
    const m = this.model;
    if (hasRecordApi(m)) return m.toResults(output, nrow);
    return fallbackResults(this.info, output, nrow);
  }

  predictMatrix(data: Float64Array, nrow: number, options: PredictOptions = {}): Float64Array {
    return this.model.engine.predict(data, nrow, options);
  }

  /** One encoded row on the engine's fastest single-row path (normal output). */
  predictRow(row: Float64Array): Float64Array {
    return this.model.engine.predictRow(row);
  }

  predictMatrixAsync(data: Float64Array, nrow: number, options: PredictOptions = {}): Promise<Float64Array> {
    return this.model.engine.predictAsync(data, nrow, options);
  }

  explain(record: RecordInput): Explanation {
    const m = this.model;
    return hasRecordApi(m) ? m.explain(record) : fallbackExplain(this, record);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function fieldsFromSpec(spec: unknown, info: ModelInfo): FieldInfo[] {
  const s = spec as { fields?: unknown } | unknown[] | undefined;
  const list = (Array.isArray(s) ? s : (s as { fields?: unknown })?.fields) as
    | (FieldInfo & { values?: unknown[] })[]
    | undefined;
  if (Array.isArray(list)) {
    return list.map((f) => {
      const cats = f.values ?? f.categories;
      return {
        name: String(f.name),
        type: String(f.type ?? "number"),
        ...(Array.isArray(cats) ? { categories: cats.map(String) } : {}),
        ...(f.description ? { description: String(f.description) } : {}),
      };
    });
  }
  return info.featureNames.map((name) => ({ name, type: "number" }));
}

function exampleRecord(fields: FieldInfo[], schema: Record<string, unknown>): RecordInput {
  const examples = (schema.examples as RecordInput[] | undefined) ?? [];
  if (examples[0] && typeof examples[0] === "object") return examples[0];
  const props = (schema.properties ?? {}) as Record<string, { examples?: unknown[]; example?: unknown }>;
  const out: RecordInput = {};
  for (const f of fields) {
    const p = props[f.name];
    out[f.name] = p?.examples?.[0] ?? p?.example ?? (f.categories?.length ? f.categories[0] : 0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Plain model.txt without the SDK's record layer: every feature is a numeric field named as in the
// model. Used only when the SDK in this tree has no record API (model.encode / model.toResults).

function fallbackSchema(fields: FieldInfo[]): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(fields.map((f) => [f.name, { type: ["number", "null"] }])),
    required: fields.map((f) => f.name),
    additionalProperties: true,
  };
}

function fallbackEncode(
  fields: FieldInfo[],
  input: RecordInput[] | Columnar,
): { data: Float64Array; nrow: number } {
  const issues: { field: string; row?: number; message: string }[] = [];
  const ncol = fields.length;
  let rows: RecordInput[];
  if (Array.isArray(input)) rows = input;
  else if (input && typeof input === "object") {
    const cols = input as Columnar;
    const lens = fields.map((f) => (Array.isArray(cols[f.name]) ? cols[f.name].length : -1));
    const n = Math.max(0, ...lens);
    fields.forEach((f, i) => {
      if (lens[i] !== n) issues.push({ field: f.name, message: `expected an array of ${n} values` });
    });
    if (issues.length) throw new ValidationError(issues);
    rows = Array.from({ length: n }, (_, r) =>
      Object.fromEntries(fields.map((f) => [f.name, cols[f.name][r]])),
    );
  } else throw new ValidationError([{ field: "", message: "expected records or columns" }]);
  const data = new Float64Array(rows.length * ncol);
  rows.forEach((rec, r) => {
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      issues.push({ field: "", row: r, message: "expected an object" });
      return;
    }
    fields.forEach((f, c) => {
      const v = rec[f.name];
      if (typeof v === "number" && Number.isFinite(v)) data[r * ncol + c] = v;
      else if (v === null) data[r * ncol + c] = Number.NaN;
      else if (v === undefined) issues.push({ field: f.name, row: r, message: "required" });
      else issues.push({ field: f.name, row: r, message: `expected a number, got ${JSON.stringify(v)}` });
    });
  });
  if (issues.length) throw new ValidationError(issues);
  return { data, nrow: rows.length };
}

function fallbackResults(info: ModelInfo, out: Float64Array, nrow: number): Result[] {
  const res: Result[] = new Array(nrow);
  const k = info.numClasses;
  for (let r = 0; r < nrow; r++) {
    if (info.objective === "binary") {
      const p = out[r];
      res[r] = { prediction: p >= 0.5 ? 1 : 0, probability: p };
    } else if (k > 1) {
      const probs = Array.from(out.subarray(r * k, r * k + k));
      let best = 0;
      for (let c = 1; c < k; c++) if (probs[c] > probs[best]) best = c;
      res[r] = { prediction: best, probabilities: probs };
    } else res[r] = { value: out[r] };
  }
  return res;
}

function fallbackExplain(m: ServedModel, record: RecordInput): Explanation {
  const { data } = m.encode([record]);
  const out = m.predictMatrix(data, 1, { type: "contrib" });
  const nf = m.info.numFeatures;
  const contributions = m.fields.map((f, i) => ({ field: f.name, value: out[i] }));
  contributions.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  return { baseValue: out[nf], contributions };
}
