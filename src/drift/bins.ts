/**
 * The reference side of drift: a bundle's reference statistics (spec.json `reference`) compiled into
 * flat bin layouts, and the rule that puts one live value into a bin. Every monitored quantity (an input
 * field or the prediction) becomes a `Binning`: its regular bins, then one bin for unknown values (a
 * category the training data never had, or a number field given text), then one for missing values.
 */
import type { FieldSpec, Spec, Stats } from "../bundle/spec.js";
// The bundle's own binning rule, so live values land in the same bins as the reference's.
import { binOf } from "../bundle/stats.js";
import { isMissingCell, readBoolean, readNumber } from "../csv/cell.js";

function booleanNumber(cell: string): number | undefined {
  const b = readBoolean(cell);
  return b === undefined ? undefined : b ? 1 : 0;
}

export type BinningKind = "numeric" | "category";

export interface Binning {
  name: string;
  kind: BinningKind;
  /** numeric: inner edges (bin i is (edges[i-1], edges[i]]); category: unused (empty). */
  edges: readonly number[];
  /** category: the known values, one bin each, in this order. */
  values: readonly string[];
  /** Human-readable label per regular bin (for reports). */
  labels: string[];
  /** Expected share per bin: regular bins, then unknown, then missing (sums to 1). */
  expected: Float64Array;
  /** Regular bins (edges.length + 1 or values.length); unknown is at `size`, missing at `size + 1`. */
  size: number;
  /** Maps a category value to its bin. */
  index: Map<string, number>;
  /** How values are read: numeric bins take numbers (and booleans as 0/1); categories take strings. */
  reader: "number" | "boolean" | "string";
}

/** Total bins of a binning, including unknown and missing. */
export const width = (b: Binning): number => b.size + 2;

const fmt = (x: number) => String(Number(x.toPrecision(4)));

/** Compiles one reference statistic into a binning. */
export function compileStats(name: string, stats: Stats, field?: FieldSpec): Binning {
  if (stats.kind === "numeric") {
    const size = stats.edges.length + 1;
    const expected = new Float64Array(size + 2);
    stats.shares.forEach((s, i) => {
      expected[i] = s;
    });
    expected[size + 1] = stats.missingShare;
    normalize(expected);
    const labels: string[] = [];
    for (let i = 0; i < size; i++) {
      if (size === 1) labels.push("all");
      else if (i === 0) labels.push(`≤ ${fmt(stats.edges[0])}`);
      else if (i === size - 1) labels.push(`> ${fmt(stats.edges[i - 1])}`);
      else labels.push(`${fmt(stats.edges[i - 1])} – ${fmt(stats.edges[i])}`);
    }
    return {
      name,
      kind: "numeric",
      edges: stats.edges,
      values: [],
      labels,
      expected,
      size,
      index: new Map(),
      reader: field?.type === "boolean" ? "boolean" : "number",
    };
  }
  const values = Object.keys(stats.shares);
  const size = values.length;
  const expected = new Float64Array(size + 2);
  values.forEach((v, i) => {
    expected[i] = stats.shares[v];
  });
  expected[size + 1] = stats.missingShare;
  normalize(expected);
  return {
    name,
    kind: "category",
    edges: [],
    values,
    labels: [...values],
    expected,
    size,
    index: new Map(values.map((v, i) => [v, i])),
    reader: "string",
  };
}

function normalize(a: Float64Array): void {
  let sum = 0;
  for (const x of a) sum += x;
  if (sum > 0) for (let i = 0; i < a.length; i++) a[i] /= sum;
}

/** The bin of one live value. */
export function binValue(b: Binning, v: unknown): number {
  if (v === null || v === undefined || v === "") return b.size + 1;
  if (b.kind === "numeric") {
    let x: number;
    if (typeof v === "number") x = v;
    else if (typeof v === "boolean") x = v ? 1 : 0;
    else if (typeof v === "string") {
      // Text (a CSV cell) read by the one cell reader, as `lgbm predict` reads it.
      const t = v.trim();
      if (isMissingCell(t)) return b.size + 1;
      x = (b.reader === "boolean" ? booleanNumber(t) : readNumber(t)) ?? Number.NaN;
    } else return b.size;
    if (Number.isNaN(x)) return typeof v === "number" ? b.size + 1 : b.size;
    return binOf(b.edges, x);
  }
  const key =
    typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
  if (key === undefined) return b.size;
  const i = b.index.get(key);
  return i === undefined ? b.size : i;
}

/** Where the reference statistics of a spec are, field by field (fields without statistics are skipped). */
export interface CompiledReference {
  fields: Binning[];
  prediction?: Binning;
  /** How to read the prediction from one output object (binary: probability; regression: value; multiclass: prediction). */
  predictionKey?: "probability" | "value" | "prediction";
  source?: string;
  rows?: number;
}

export class NoReferenceError extends Error {
  override name = "NoReferenceError";
}

/** Compiles a spec's reference statistics; throws when the spec has none. */
export function compileReference(spec: Spec): CompiledReference {
  const ref = spec.reference;
  if (!ref) {
    throw new NoReferenceError(
      "the bundle's spec.json has no reference statistics (spec.reference): make the bundle with lgbm train or lgbm bundle to record them",
    );
  }
  const fields: Binning[] = [];
  for (const f of spec.fields) {
    const s = ref.fields[f.name];
    if (s) fields.push(compileStats(f.name, s, f));
  }
  const out: CompiledReference = { fields, source: ref.source, rows: ref.rows };
  if (ref.prediction) {
    out.predictionKey =
      spec.task === "binary" ? "probability" : spec.task === "regression" ? "value" : "prediction";
    out.prediction = compileStats(out.predictionKey, ref.prediction);
  }
  return out;
}

/** The number read from a prediction output object, or the class label (multiclass). */
export function predictionValue(output: unknown, key: CompiledReference["predictionKey"]): unknown {
  if (!key || output === null || typeof output !== "object") return undefined;
  return (output as Record<string, unknown>)[key];
}
