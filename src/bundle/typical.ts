/**
 * A typical record of a bundle: what the model page fills its form with. From the reference statistics
 * (spec.json `reference`, the training rows): each number's median (read off its quantile bins), each
 * category's most common value, each boolean's more common one. Without statistics: the middle of the
 * training range, the first category, false. Browser-safe (no `node:` imports).
 */
import type { InputRecord } from "./schema.js";
import type { FieldSpec, Spec, Stats } from "./spec.js";

export function typicalRecord(spec: Spec): InputRecord {
  const out: InputRecord = {};
  for (const f of spec.fields) out[f.name] = typicalValue(f, spec.reference?.fields[f.name]);
  return out;
}

function typicalValue(f: FieldSpec, stats: Stats | undefined): unknown {
  switch (f.type) {
    case "category": {
      if (stats?.kind === "category") {
        let best = f.values[0];
        for (const v of f.values) if ((stats.shares[v] ?? 0) > (stats.shares[best] ?? 0)) best = v;
        return best;
      }
      return f.values[0];
    }
    case "boolean":
      // A boolean's statistics are numeric bins of 0/1: (-inf, 0] and (0, inf).
      return stats?.kind === "numeric" && stats.shares.length === 2
        ? stats.shares[1] > stats.shares[0]
        : false;
    default: {
      const median = stats?.kind === "numeric" ? medianOf(stats, f.range, f.type === "integer") : undefined;
      const value = median ?? (f.range ? (f.range[0] + f.range[1]) / 2 : 0);
      if (f.type === "integer") return Math.round(value);
      // As precise as the data's own values (the bin edges are training values): 0.64, not 0.641648.
      const known = [...(stats?.kind === "numeric" ? stats.edges : []), ...(f.range ?? [])];
      return Number(value.toFixed(Math.min(6, Math.max(0, ...known.map(decimals)))));
    }
  }
}

/**
 * The median of quantile bins: the bin where the cumulative share of present values crosses one half,
 * interpolated between its bounds (the training range closes the two open bins); for integers, over the
 * integers the bin holds (bin 0 is [lo, hi], the others (lo, hi]).
 */
function medianOf(
  stats: Extract<Stats, { kind: "numeric" }>,
  range: [number, number] | undefined,
  integer: boolean,
): number | undefined {
  const { edges, shares } = stats;
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return undefined;
  let before = 0;
  for (let i = 0; i < shares.length; i++) {
    const share = shares[i] / total;
    if (before + share >= 0.5) {
      const lo = i === 0 ? (range?.[0] ?? edges[0]) : edges[i - 1];
      const hi = i === edges.length ? (range?.[1] ?? edges[edges.length - 1]) : edges[i];
      if (lo === undefined || hi === undefined) return undefined;
      const frac = share > 0 ? (0.5 - before) / share : 0;
      if (!integer) return lo + frac * (hi - lo);
      if (i === 0) return lo + Math.min(hi - lo, Math.floor(frac * (hi - lo + 1)));
      return lo + Math.max(1, Math.ceil(frac * (hi - lo)));
    }
    before += share;
  }
  return undefined;
}

/** Digits after the decimal point of a number's shortest text (0 for integers and exponents). */
function decimals(x: number): number {
  const t = String(x);
  const dot = t.indexOf(".");
  return dot < 0 || t.includes("e") ? 0 : t.length - dot - 1;
}
