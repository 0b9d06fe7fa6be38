/**
 * Records → the model's row-major Float64Array, in the spec's column order.
 *
 * Hand-written on purpose: validating each record with zod costs microseconds, and the encoder has to
 * run at millions of records per second. So the hot path is a loop over field plans precomputed from
 * the spec, reading each value once and writing it straight into a preallocated matrix, with no
 * intermediate arrays or objects per row. It checks exactly what the zod schema (schema.ts) checks;
 * only when it finds a problem does it run zod on the offending rows, for complete, readable messages
 * (all problems of a record at once, with the row index in batches).
 */

import { isNumberText } from "../csv/cell.js";
import { ValidationError, type ValidationIssue } from "../errors.js";
import { type FieldReader, fieldReader } from "./field-reader.js";
import {
  type AbsentFields,
  buildRecordSchema,
  type ExtraFields,
  fieldMessage,
  type InputRecord,
  type RecordSchema,
  recordIssues,
} from "./schema.js";
import { type FieldSpec, fieldWidth, type Spec } from "./spec.js";

export interface EncoderOptions {
  /**
   * Fields not in the spec: `ignore` (default) skips them, so records can carry ids or the target
   * column (as the training CSV does); `reject` reports each as an error. Misspelled required fields
   * are caught either way, as missing.
   */
  extraFields?: ExtraFields;
  /**
   * Nullable fields absent from a record: `missing` encodes them as missing values (NaN), `error`
   * refuses the record, naming each (null is then how a record says "missing"). Default: the spec's
   * `absentFields` (`error` for a bare model.txt and `lgbm bundle`), else `missing`.
   */
  absentFields?: AbsentFields;
  /** At most this many issues are reported per error (default 100); the rest are counted. */
  maxIssues?: number;
}

/** Columnar input: field name → one value per row. In typed arrays, NaN means missing. */
export type ColumnarInput = Record<string, ArrayLike<unknown>>;

export interface Encoded {
  data: Float64Array;
  nrow: number;
}

const NUMBER = 0;
const INTEGER = 1;
const BOOLEAN = 2;
const ONEHOT = 3;
const NATIVE = 4;

interface Plan {
  readonly field: FieldSpec;
  readonly name: string;
  readonly kind: number;
  readonly col: number;
  readonly width: number;
  readonly nullable: boolean;
  /** Absent (undefined) is refused even though null is accepted (absentFields: "error"). */
  readonly present: boolean;
  /** ±Infinity is a value (number fields with `infinite`). */
  readonly infinite: boolean;
  readonly codes: Map<string, number> | undefined;
  /** Categories: numbers are looked up by their text (some values are a number's text). */
  readonly numbers: boolean;
  /** Unknown categories are accepted (onehot: all zeros; native: NaN). */
  readonly lenient: boolean;
}

function planOf(f: FieldSpec, col: number, absent: AbsentFields): Plan {
  let kind = NUMBER;
  let codes: Map<string, number> | undefined;
  let lenient = false;
  let numbers = false;
  if (f.type === "integer") kind = INTEGER;
  else if (f.type === "boolean") kind = BOOLEAN;
  else if (f.type === "category") {
    kind = f.encoding.kind === "onehot" ? ONEHOT : NATIVE;
    codes = new Map(f.values.map((v, i) => [v, i]));
    lenient = f.unknown !== "error";
    numbers = f.values.some(isNumberText);
  }
  return {
    field: f,
    name: f.name,
    kind,
    col,
    width: fieldWidth(f),
    nullable: f.nullable,
    present: f.nullable && absent === "error",
    infinite: f.type === "number" && f.infinite === true,
    codes,
    numbers,
    lenient,
  };
}

const NOT_A_CATEGORY = -1;

/**
 * A category value's code: a string as it is, a finite number by its text where some values are
 * numbers' text; undefined when unknown; NOT_A_CATEGORY for anything else (null, other types).
 */
function codeOf(p: Plan, v: unknown): number | undefined {
  if (typeof v === "string") return p.codes!.get(v);
  if (p.numbers && typeof v === "number" && v - v === 0) return p.codes!.get(String(v));
  return NOT_A_CATEGORY;
}

/**
 * Writes one value of plan `p` at `out[base + p.col ...]`. Returns false when the value is invalid
 * (the caller then asks zod why). One-hot blocks are written whole (zeros included), so `out` may be
 * a reused buffer.
 */
function put(p: Plan, v: unknown, out: Float64Array, base: number, nanIsMissing: boolean): boolean {
  const at = base + p.col;
  switch (p.kind) {
    case NUMBER:
      if (typeof v === "number") {
        if (
          v - v === 0 ||
          (p.infinite && (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY))
        ) {
          out[at] = v;
          return true;
        }
        if (nanIsMissing && Number.isNaN(v) && p.nullable) {
          out[at] = Number.NaN;
          return true;
        }
        return false;
      }
      break;
    case INTEGER:
      if (typeof v === "number") {
        if (Number.isSafeInteger(v)) {
          out[at] = v;
          return true;
        }
        if (nanIsMissing && Number.isNaN(v) && p.nullable) {
          out[at] = Number.NaN;
          return true;
        }
        return false;
      }
      break;
    case BOOLEAN:
      if (v === 0 || v === 1) {
        out[at] = v;
        return true;
      }
      if (typeof v === "boolean") {
        out[at] = v ? 1 : 0;
        return true;
      }
      if (nanIsMissing && typeof v === "number" && Number.isNaN(v) && p.nullable) {
        out[at] = Number.NaN;
        return true;
      }
      break;
    case ONEHOT: {
      for (let k = 0; k < p.width; k++) out[at + k] = 0;
      const code = codeOf(p, v);
      if (code === NOT_A_CATEGORY) break;
      if (code !== undefined) out[at + code] = 1;
      else if (!p.lenient) return false;
      return true;
    }
    case NATIVE: {
      const code = codeOf(p, v);
      if (code === NOT_A_CATEGORY) break;
      if (code !== undefined) out[at] = code;
      else if (p.lenient) out[at] = Number.NaN;
      else return false;
      return true;
    }
  }
  if (v == null && p.nullable && (v === null || !p.present)) {
    // Missing: NaN for LightGBM; a one-hot block stays all zeros (already written above).
    if (p.kind !== ONEHOT) out[at] = Number.NaN;
    return true;
  }
  return false;
}

export class Encoder {
  readonly spec: Spec;
  readonly ncol: number;
  readonly extraFields: ExtraFields;
  readonly absentFields: AbsentFields;
  readonly #plans: Plan[];
  readonly #names: Set<string>;
  /** Reads a record's field values, in plan order, into #values (see field-reader.ts). */
  readonly #read: FieldReader;
  readonly #values: unknown[];
  readonly #maxIssues: number;
  #schema: RecordSchema | undefined;
  /** Where validate() encodes to (and throws away). */
  #scratch: Float64Array | undefined;

  constructor(spec: Spec, options: EncoderOptions = {}) {
    const extra = options.extraFields ?? "ignore";
    if (extra !== "ignore" && extra !== "reject") {
      throw new RangeError(`extraFields must be "ignore" or "reject", got ${JSON.stringify(extra)}`);
    }
    const absent = options.absentFields ?? spec.absentFields ?? "missing";
    if (absent !== "missing" && absent !== "error") {
      throw new RangeError(`absentFields must be "missing" or "error", got ${JSON.stringify(absent)}`);
    }
    this.spec = spec;
    this.extraFields = extra;
    this.absentFields = absent;
    this.#maxIssues = options.maxIssues ?? 100;
    let col = 0;
    this.#plans = spec.fields.map((f) => {
      const p = planOf(f, col, absent);
      col += p.width;
      return p;
    });
    this.ncol = col;
    this.#names = new Set(spec.fields.map((f) => f.name));
    this.#read = fieldReader(this.#plans.map((p) => p.name));
    this.#values = new Array(this.#plans.length).fill(undefined);
  }

  /** The zod schema and JSON Schema of one record (built on first use). */
  get schema(): RecordSchema {
    this.#schema ??= buildRecordSchema(this.spec, this.extraFields, this.absentFields);
    return this.#schema;
  }

  /** Validates one record; throws ValidationError listing every problem. */
  validate(record: unknown): void {
    this.#scratch ??= new Float64Array(this.ncol);
    if (!this.#encodeRecord(record, this.#scratch, 0)) throw new ValidationError(this.#explain(record));
  }

  /**
   * Encodes one record into `out` at `offset` (ncol values, every one written: the buffer can be
   * reused). Throws ValidationError naming each bad field; the values written so far are then garbage.
   */
  encodeOne(record: unknown, out: Float64Array = new Float64Array(this.ncol), offset = 0): Float64Array {
    if (!Number.isInteger(offset) || offset < 0 || offset + this.ncol > out.length) {
      throw new RangeError(`offset ${offset} leaves no room for ${this.ncol} values in out (${out.length})`);
    }
    if (!this.#encodeRecord(record, out, offset)) throw new ValidationError(this.#explain(record));
    return out;
  }

  /** Encodes records (an array of objects) or columnar input (field → values) into a new matrix. */
  encode(input: readonly unknown[] | ColumnarInput): Encoded {
    if (Array.isArray(input)) return this.encodeRecords(input);
    if (input === null || typeof input !== "object" || ArrayBuffer.isView(input)) {
      throw new ValidationError([
        {
          field: "records",
          message: `expected an array of records or an object of columns, got ${typeof input}`,
        },
      ]);
    }
    return this.encodeColumns(input as ColumnarInput);
  }

  encodeRecords(records: readonly unknown[]): Encoded {
    const nrow = records.length;
    if (nrow === 0)
      throw new ValidationError([{ field: "records", message: "expected at least one record, got none" }]);
    const ncol = this.ncol;
    const data = new Float64Array(nrow * ncol);
    const bad: number[] = [];
    for (let r = 0; r < nrow; r++) {
      if (!this.#encodeRecord(records[r], data, r * ncol)) bad.push(r);
    }
    if (bad.length) this.#fail(bad, (r) => records[r]);
    return { data, nrow };
  }

  encodeColumns(columns: ColumnarInput): Encoded {
    const plans = this.#plans;
    let nrow = -1;
    const issues: ValidationIssue[] = [];
    for (const key of Object.keys(columns)) {
      if (!this.#names.has(key) && this.extraFields === "reject") {
        issues.push({ field: key, message: "is not a field of this model" });
      }
    }
    for (const p of plans) {
      const col = columns[p.name];
      if (col == null) {
        if (!p.nullable)
          issues.push({ field: p.name, message: "is required (may not be missing): no such column" });
        else if (p.present)
          issues.push({ field: p.name, message: "is required: no such column (null values say missing)" });
        continue;
      }
      if (typeof col !== "object" || typeof col.length !== "number" || typeof col === "string") {
        issues.push({
          field: p.name,
          message: "expected an array of values (to encode one record, pass [record])",
        });
        continue;
      }
      if (nrow < 0) nrow = col.length;
      else if (col.length !== nrow) {
        issues.push({ field: p.name, message: `has ${col.length} values, other columns have ${nrow}` });
      }
    }
    if (issues.length) throw new ValidationError(issues);
    if (nrow <= 0)
      throw new ValidationError([{ field: "records", message: "expected at least one row, got none" }]);
    const ncol = this.ncol;
    const data = new Float64Array(nrow * ncol);
    const bad = new Set<number>();
    for (const p of plans) {
      const col = columns[p.name];
      if (col == null) {
        for (let r = 0, at = p.col; r < nrow; r++, at += ncol) if (p.kind !== ONEHOT) data[at] = Number.NaN;
        continue;
      }
      // In typed arrays NaN is the only way to say "missing"; in plain arrays use null.
      const typed = ArrayBuffer.isView(col);
      for (let r = 0; r < nrow; r++) {
        if (!put(p, col[r], data, r * ncol, typed)) bad.add(r);
      }
    }
    if (bad.size) {
      const rows = [...bad].sort((a, b) => a - b);
      this.#fail(rows, (r) => this.#rowOf(columns, r));
    }
    return { data, nrow };
  }

  /** The fast path for one record; false when anything is wrong. */
  #encodeRecord(record: unknown, out: Float64Array, base: number): boolean {
    if (record === null || typeof record !== "object" || Array.isArray(record)) return false;
    const rec = record as InputRecord;
    const plans = this.#plans;
    const values = this.#values;
    this.#read(rec, values);
    let ok = true;
    for (let i = 0; i < plans.length; i++) {
      if (!put(plans[i], values[i], out, base, false)) ok = false;
    }
    if (ok && this.extraFields === "reject") {
      for (const key of Object.keys(rec)) if (!this.#names.has(key)) return false;
    }
    return ok;
  }

  #rowOf(columns: ColumnarInput, r: number): InputRecord {
    const rec: InputRecord = {};
    for (const p of this.#plans) {
      const col = columns[p.name];
      if (col == null) continue;
      const v = col[r];
      // Typed-array NaN means missing: show it to zod as null.
      rec[p.name] = ArrayBuffer.isView(col) && Number.isNaN(v) ? null : v;
    }
    return rec;
  }

  #explain(record: unknown, row?: number): ValidationIssue[] {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      const got = record === null ? "null" : Array.isArray(record) ? "an array" : typeof record;
      const issue: ValidationIssue = {
        field: "record",
        message: `expected an object of field values, got ${got}`,
      };
      return [row === undefined ? issue : { ...issue, row }];
    }
    const rec0 = record as InputRecord;
    if (this.absentFields === "error" && !this.#plans.some((p) => p.name in rec0)) {
      // Every field absent: one issue, not one per field (a record for another model, or all misspelled).
      const names = this.#plans.map((p) => p.name);
      const list = names.length <= 10 ? names.join(", ") : `${names.slice(0, 10).join(", ")}, ...`;
      const issue: ValidationIssue = {
        field: "record",
        message: `shares no field name with the model, which expects ${names.length} fields: ${list}`,
      };
      return [row === undefined ? issue : { ...issue, row }];
    }
    const issues = recordIssues(this.schema, record, row);
    if (issues.length) return issues;
    // The fast checker and zod disagree: report the fast checker's view rather than nothing.
    const rec = record as InputRecord;
    const scratch = new Float64Array(this.ncol);
    for (const p of this.#plans) {
      if (!put(p, rec[p.name], scratch, 0, false)) {
        issues.push({
          field: p.name,
          message: fieldMessage(p.field, rec[p.name]),
          ...(row === undefined ? {} : { row }),
        });
      }
    }
    return issues;
  }

  #fail(rows: number[], rowAt: (r: number) => unknown): never {
    const issues: ValidationIssue[] = [];
    let shown = 0;
    for (const r of rows) {
      if (issues.length >= this.#maxIssues) break;
      issues.push(...this.#explain(rowAt(r), r));
      shown++;
    }
    const rest = rows.length - shown;
    if (issues.length > this.#maxIssues) issues.length = this.#maxIssues;
    if (rest > 0) issues.push({ field: "records", message: `and ${rest} more invalid rows` });
    throw new ValidationError(issues);
  }
}
