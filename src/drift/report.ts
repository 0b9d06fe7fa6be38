/**
 * Drift statistics over binned counts: the population stability index (PSI), a binned
 * Kolmogorov–Smirnov statistic, unknown/missing shares, and the ok / warn / drift flag. The same report
 * comes out of the `lgbm drift` command, `DriftMonitor.report()` and `GET /drift`.
 */
import { type Binning, type CompiledReference, width } from "./bins.js";

export type Flag = "ok" | "warn" | "drift";

export interface Thresholds {
  /** PSI at or above this is "warn" (default 0.1). */
  warn: number;
  /** PSI at or above this is "drift" (default 0.25). */
  drift: number;
  /** Fewer live values than this: PSI is still computed, but the flag stays "ok" (default 100). */
  minCount: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { warn: 0.1, drift: 0.25, minCount: 100 };

/** Shares below this (empty bins) are raised to it before the PSI's logarithm. */
export const PSI_EPSILON = 1e-4;

export interface BinReport {
  label: string;
  /** Share of reference rows in this bin. */
  reference: number;
  /** Share of live rows in this bin. */
  live: number;
}

export interface QuantityReport {
  name: string;
  kind: "numeric" | "category";
  psi: number;
  flag: Flag;
  /** Binned KS statistic over the non-missing values (numeric only): max |F_ref − F_live| at the reference edges. */
  ks?: number;
  /** Live values counted. */
  count: number;
  /** Share of live values that are unknown (a category not seen in training, or text in a numeric field). */
  unknownShare: number;
  /** Share of live values that are missing (null, empty, NaN), and the same share in the reference. */
  missingShare: number;
  referenceMissingShare: number;
  /** Regular bins, then "unknown", then "missing". */
  bins: BinReport[];
}

export interface DriftReport {
  /** When the report was made (ISO). */
  generatedAt: string;
  /** Live records counted. */
  rows: number;
  thresholds: Thresholds;
  summary: { fields: number; ok: number; warn: number; drift: number; worst?: string; worstPsi?: number };
  /** Worst first: by flag (drift, warn, ok), then PSI. */
  fields: QuantityReport[];
  /** The shift of the prediction distribution (absent when the reference or the outputs have none). */
  prediction?: QuantityReport;
  reference: { source?: string; rows?: number };
}

/** PSI = Σ (a − e) · ln(a / e) over bins, shares floored at PSI_EPSILON. */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_EPSILON);
    const a = Math.max(actual[i], PSI_EPSILON);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** max |F_e − F_a| over the regular bins (cumulative shares renormalized without unknown/missing). */
export function binnedKs(expected: ArrayLike<number>, actual: ArrayLike<number>, size: number): number {
  let te = 0;
  let ta = 0;
  for (let i = 0; i < size; i++) {
    te += expected[i];
    ta += actual[i];
  }
  if (te <= 0 || ta <= 0) return te <= 0 && ta <= 0 ? 0 : 1;
  let ce = 0;
  let ca = 0;
  let d = 0;
  for (let i = 0; i < size; i++) {
    ce += expected[i] / te;
    ca += actual[i] / ta;
    d = Math.max(d, Math.abs(ce - ca));
  }
  return d;
}

export function flagOf(value: number, count: number, t: Thresholds): Flag {
  if (count < t.minCount) return "ok";
  if (value >= t.drift) return "drift";
  if (value >= t.warn) return "warn";
  return "ok";
}

const round = (x: number) => Number(x.toPrecision(6));

/** The report of one binned quantity from its live counts (regular bins, unknown, missing). */
export function quantityReport(b: Binning, counts: ArrayLike<number>, t: Thresholds): QuantityReport {
  const n = width(b);
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[i];
  const actual = new Float64Array(n);
  if (total > 0) for (let i = 0; i < n; i++) actual[i] = counts[i] / total;
  const value = total > 0 ? psi(b.expected, actual) : 0;
  const bins: BinReport[] = [];
  for (let i = 0; i < n; i++) {
    const label = i < b.size ? b.labels[i] : i === b.size ? "unknown" : "missing";
    bins.push({ label, reference: round(b.expected[i]), live: round(actual[i]) });
  }
  const r: QuantityReport = {
    name: b.name,
    kind: b.kind,
    psi: round(value),
    flag: flagOf(value, total, t),
    count: total,
    unknownShare: round(actual[b.size]),
    missingShare: round(actual[b.size + 1]),
    referenceMissingShare: round(b.expected[b.size + 1]),
    bins,
  };
  if (b.kind === "numeric") r.ks = total > 0 ? round(binnedKs(b.expected, actual, b.size)) : 0;
  return r;
}

const severity: Record<Flag, number> = { drift: 2, warn: 1, ok: 0 };

/** Worst first: drift, then warn, then ok; PSI descending within a flag; then by name. */
export function worstFirst(a: QuantityReport, b: QuantityReport): number {
  return severity[b.flag] - severity[a.flag] || b.psi - a.psi || a.name.localeCompare(b.name);
}

/**
 * Assembles a report. `counts` holds every field's bins back to back (in `ref.fields` order), then the
 * prediction's bins when the reference has a prediction.
 */
export function buildReport(
  ref: CompiledReference,
  counts: ArrayLike<number>,
  rows: number,
  t: Thresholds,
  predictionCount: number,
): DriftReport {
  let off = 0;
  const fields: QuantityReport[] = [];
  for (const b of ref.fields) {
    const n = width(b);
    fields.push(quantityReport(b, Array.prototype.slice.call(counts, off, off + n) as number[], t));
    off += n;
  }
  fields.sort(worstFirst);
  const report: DriftReport = {
    generatedAt: new Date().toISOString(),
    rows,
    thresholds: { ...t },
    summary: {
      fields: fields.length,
      ok: fields.filter((f) => f.flag === "ok").length,
      warn: fields.filter((f) => f.flag === "warn").length,
      drift: fields.filter((f) => f.flag === "drift").length,
    },
    fields,
    reference: { source: ref.source, rows: ref.rows },
  };
  if (fields.length) {
    report.summary.worst = fields[0].name;
    report.summary.worstPsi = fields[0].psi;
  }
  if (ref.prediction && predictionCount > 0) {
    const n = width(ref.prediction);
    report.prediction = quantityReport(
      ref.prediction,
      Array.prototype.slice.call(counts, off, off + n) as number[],
      t,
    );
  }
  return report;
}

/** Checks user thresholds: 0 < warn <= drift. */
export function resolveThresholds(partial: Partial<Thresholds> = {}): Thresholds {
  const t = {
    ...DEFAULT_THRESHOLDS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  };
  if (!(t.warn > 0) || !(t.drift >= t.warn)) {
    throw new RangeError(`drift thresholds need 0 < warn <= drift, got warn=${t.warn} drift=${t.drift}`);
  }
  if (!(t.minCount >= 0)) throw new RangeError(`minCount must be >= 0, got ${t.minCount}`);
  return t as Thresholds;
}
