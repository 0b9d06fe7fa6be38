/**
 * Training data as named columns of raw cells (strings, null for missing), read from a CSV file with
 * csv-parse or taken from records / columns in memory; and the field types inferred from them.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse } from "csv-parse/sync";
import type { ColumnarInput } from "../bundle/encoder.js";
import type { InputRecord } from "../bundle/schema.js";
import type { FieldSpec } from "../bundle/spec.js";
import { isMissingCell, readBoolean, readNumber } from "../csv/cell.js";
import { CSV_OPTIONS } from "../csv/options.js";
import { ValidationError } from "../errors.js";

export interface Table {
  names: string[];
  /** One array of cells per column; null is a missing value. */
  columns: (string | null)[][];
  nrow: number;
  /** File name (no directory) or "<memory>". */
  source: string;
  sha256: string;
}

/** Reads a CSV file (csv-parse, every cell through the shared cell reader's missing rule). */
export function readCsvTable(path: string): Table {
  const bytes = readFileSync(path);
  const rows = parse(bytes, { ...CSV_OPTIONS, relax_column_count: false }) as string[][];
  if (rows.length < 2) throw new ValidationError([{ field: "data", message: `${path} has no data rows` }]);
  const names = rows[0];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new ValidationError([{ field: "data", message: `column ${JSON.stringify(dup)} appears twice` }]);
  const nrow = rows.length - 1;
  const columns = names.map((_, c) => {
    const col = new Array<string | null>(nrow);
    for (let r = 0; r < nrow; r++) {
      const cell = rows[r + 1][c];
      col[r] = isMissingCell(cell) ? null : cell;
    }
    return col;
  });
  return {
    names,
    columns,
    nrow,
    source: basename(path),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

function cellOf(v: unknown): string | null {
  if (v == null || (typeof v === "number" && Number.isNaN(v))) return null;
  if (typeof v === "string") return isMissingCell(v.trim()) ? null : v.trim();
  // String(number) is the shortest text that parses back to the same double.
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ValidationError([
    { field: "data", message: `expected numbers, strings or booleans, got ${typeof v}` },
  ]);
}

/** A table from records or columns in memory. */
export function memoryTable(data: readonly InputRecord[] | ColumnarInput): Table {
  let names: string[];
  let columns: (string | null)[][];
  if (Array.isArray(data)) {
    if (data.length === 0)
      throw new ValidationError([{ field: "data", message: "expected at least one record" }]);
    names = Object.keys(data[0]);
    columns = names.map((n) => data.map((rec) => cellOf((rec as InputRecord)[n])));
  } else {
    names = Object.keys(data);
    columns = names.map((n) => Array.from((data as ColumnarInput)[n], cellOf));
  }
  const nrow = columns[0]?.length ?? 0;
  if (nrow === 0 || columns.some((c) => c.length !== nrow)) {
    throw new ValidationError([{ field: "data", message: "columns must be non-empty and of equal length" }]);
  }
  const sha256 = createHash("sha256").update(JSON.stringify({ names, columns })).digest("hex");
  return { names, columns, nrow, source: "<memory>", sha256 };
}

export function columnOf(table: Table, name: string, what: string): (string | null)[] {
  const i = table.names.indexOf(name);
  if (i < 0) {
    throw new ValidationError([
      {
        field: what,
        message: `no column ${JSON.stringify(name)} in the data (columns: ${table.names.join(", ")})`,
      },
    ]);
  }
  return table.columns[i];
}

/** A cell as a finite number (targets, weights); undefined when it is not one. */
export function numberOf(cell: string): number | undefined {
  const v = readNumber(cell);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** A field inferred from its cells, and its values typed for the encoder (NaN/null = missing). */
export interface TypedField {
  spec: FieldSpec;
  /** Float64Array for numeric and boolean fields (NaN missing), strings (null missing) for categories. */
  values: Float64Array | (string | null)[];
}

export interface InferOptions {
  categorical: boolean;
  encoding: "onehot" | "native";
  unknown: "error" | "ignore" | "missing";
  /** The column name(s) the field encodes to, from sanitized names. */
  columnName: (raw: string) => string;
}

/**
 * The field's type: category if asked (or if any cell is not a number or boolean); else boolean for
 * 0/1 or true/false columns, integer when every value is an integer, number otherwise (`infinite`
 * when a cell is an infinity). Cells are read by the shared cell reader (src/csv/cell.ts).
 */
export function inferField(name: string, cells: (string | null)[], opts: InferOptions): TypedField {
  const n = cells.length;
  let nullable = false;
  let categorical = opts.categorical;
  if (!categorical) {
    let allBool = true;
    const nums = new Float64Array(n);
    let allNum = true;
    let allInt = true;
    let only01 = true;
    let infinite = false;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const c = cells[i];
      if (c === null) {
        nullable = true;
        nums[i] = Number.NaN;
        continue;
      }
      if (allBool && readBoolean(c) === undefined) allBool = false;
      if (allNum) {
        const v = readNumber(c);
        if (v === undefined) allNum = false;
        else {
          nums[i] = v;
          if (!Number.isSafeInteger(v)) allInt = false;
          if (v !== 0 && v !== 1) only01 = false;
          if (!Number.isFinite(v)) infinite = true;
          else {
            if (v < min) min = v;
            if (v > max) max = v;
          }
        }
      }
    }
    const present = cells.some((c) => c !== null);
    if (allBool && present) {
      for (let i = 0; i < n; i++) nums[i] = cells[i] === null ? Number.NaN : readBoolean(cells[i]!) ? 1 : 0;
      return { spec: { name, type: "boolean", nullable }, values: nums };
    }
    if (allNum && present) {
      if (allInt && only01) return { spec: { name, type: "boolean", nullable }, values: nums };
      const range: [number, number] | undefined = min <= max ? [min, max] : undefined;
      return {
        spec: {
          name,
          type: allInt ? "integer" : "number",
          nullable,
          ...(range ? { range } : {}),
          ...(infinite ? { infinite } : {}),
        },
        values: nums,
      };
    }
    // Text cells (or none at all: then the category branch reports the empty column).
    categorical = true;
  }
  const values = [...new Set(cells.filter((c): c is string => c !== null))].sort(compareCodePoints);
  nullable = cells.some((c) => c === null);
  if (values.length === 0)
    throw new ValidationError([{ field: name, message: "has no values (every cell is missing)" }]);
  const unknown = opts.unknown;
  const encoding =
    opts.encoding === "onehot"
      ? { kind: "onehot" as const, columns: values.map((v) => opts.columnName(`${name}_${v}`)) }
      : { kind: "native" as const, column: opts.columnName(name) };
  return { spec: { name, type: "category", nullable, values, unknown, encoding }, values: cells };
}

/** Code point order, as Python (and so scikit-learn's OneHotEncoder) sorts strings. */
export function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  }
  return x.length - y.length;
}

/**
 * A LightGBM-safe column name: LightGBM refuses JSON special characters in feature names and replaces
 * spaces, so both become "_"; duplicates get a numeric suffix.
 */
export function columnNamer(): (raw: string) => string {
  const used = new Set<string>();
  return (raw) => {
    const base = raw.replace(/[\s"\\[\]{}:,]/g, "_") || "_";
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}
