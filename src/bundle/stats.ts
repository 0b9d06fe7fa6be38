/**
 * Reference statistics for drift monitoring (stored in spec.json) and the held-out metrics of training.
 * Written by hand: each is a few lines, and no maintained npm package computes LightGBM/scikit-learn
 * compatible AUC, log loss or quantile bins over Float64Arrays (tests check them against scikit-learn).
 */
import type { Spec, Stats } from "./spec.js";

/** Default number of quantile bins (PSI is usually computed over ~10 bins). */
export const BINS = 10;

/**
 * Quantile bins of the non-missing (non-NaN) values: inner edges at the 1/bins ... (bins-1)/bins
 * quantiles (lower order statistic, deduplicated), and the share of all values per bin (value v is in
 * the first bin whose edge is >= v) plus the share of missing values.
 */
export function numericStats(values: ArrayLike<number>, bins = BINS): Extract<Stats, { kind: "numeric" }> {
  const n = values.length;
  const present: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) present.push(values[i]);
  const sorted = Float64Array.from(present).sort();
  const m = sorted.length;
  const edges: number[] = [];
  if (m > 0) {
    for (let q = 1; q < bins; q++) {
      const e = sorted[Math.floor((q * (m - 1)) / bins)];
      // An infinite edge cannot be stored (JSON); infinities still fall in the first or last bin.
      if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
    }
    // An edge equal to the maximum leaves the last bin empty by construction: drop it.
    while (edges.length && edges[edges.length - 1] >= sorted[m - 1]) edges.pop();
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < m; i++) counts[binOf(edges, sorted[i])]++;
  return {
    kind: "numeric",
    edges,
    shares: counts.map((c) => round(c / n)),
    missingShare: round((n - m) / n),
  };
}

/** [min, max] of the finite values (infinities and NaN left out: JSON cannot hold them). */
export function finiteRange(v: ArrayLike<number>): [number, number] | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return min <= max ? [min, max] : undefined;
}

/** Index of the bin of v: the first edge >= v (binary search), or the last bin. */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Share of each known value (in `values` order) and of missing (null) entries. */
export function categoryStats(
  column: ArrayLike<string | null>,
  values: readonly string[],
): Extract<Stats, { kind: "category" }> {
  const counts = new Map<string, number>(values.map((v) => [v, 0]));
  let missing = 0;
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v == null) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const shares: Record<string, number> = {};
  for (const [v, c] of counts) shares[v] = round(c / column.length);
  return { kind: "category", shares, missingShare: round(missing / column.length) };
}

/** Shares are stored with 6 significant digits: readable, and plenty for PSI. */
function round(x: number): number {
  return Number(x.toPrecision(6));
}

/** Area under the ROC curve (ties get half credit, as in scikit-learn's roc_auc_score). */
export function auc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Walk groups of tied scores from low to high, counting positives ranked above negatives.
  let negBelow = 0;
  let area = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let gp = 0;
    let gn = 0;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      const w = weights ? weights[order[j]] : 1;
      if (labels[order[j]] > 0) gp += w;
      else gn += w;
      j++;
    }
    area += gp * (negBelow + gn / 2);
    negBelow += gn;
    pos += gp;
    neg += gn;
    i = j;
  }
  return pos === 0 || neg === 0 ? Number.NaN : area / (pos * neg);
}

const EPS = 1e-15;

/** Mean binary log loss (probabilities clipped to [1e-15, 1 - 1e-15]). */
export function logLoss(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probs[i], EPS), 1 - EPS);
    const w = weights ? weights[i] : 1;
    sum -= w * (labels[i] > 0 ? Math.log(p) : Math.log(1 - p));
    wsum += w;
  }
  return sum / wsum;
}

/** Mean multiclass log loss over row-major probabilities (k per row). */
export function multiLogLoss(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
  weights?: ArrayLike<number>,
): number {
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights ? weights[i] : 1;
    sum -= w * Math.log(Math.min(Math.max(probs[i * k + labels[i]], EPS), 1 - EPS));
    wsum += w;
  }
  return sum / wsum;
}

/** Share of rows whose predicted class (threshold 0.5 for binary, argmax for k > 1) is the label. */
export function accuracy(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  k: number,
  weights?: ArrayLike<number>,
): number {
  let hit = 0;
  let wsum = 0;
  for (let i = 0; i < labels.length; i++) {
    let pred: number;
    if (k === 1) pred = probs[i] >= 0.5 ? 1 : 0;
    else {
      pred = 0;
      for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + pred]) pred = c;
    }
    const w = weights ? weights[i] : 1;
    if (pred === labels[i]) hit += w;
    wsum += w;
  }
  return hit / wsum;
}

/** rmse, mae and r2 (coefficient of determination, as scikit-learn's r2_score). */
export function regressionMetrics(
  labels: ArrayLike<number>,
  preds: ArrayLike<number>,
  weights?: ArrayLike<number>,
): { rmse: number; mae: number; r2: number } {
  let wsum = 0;
  let mean = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights ? weights[i] : 1;
    wsum += w;
    mean += w * labels[i];
  }
  mean /= wsum;
  let se = 0;
  let ae = 0;
  let tot = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights ? weights[i] : 1;
    const d = labels[i] - preds[i];
    se += w * d * d;
    ae += w * Math.abs(d);
    tot += w * (labels[i] - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / wsum), mae: ae / wsum, r2: tot === 0 ? Number.NaN : 1 - se / tot };
}

/** The task's metrics of predictions against labels (NaN ones left out: JSON cannot hold them). */
export function heldOutMetrics(
  task: Spec["task"],
  labels: Float64Array,
  pred: Float64Array,
  k: number,
  weights?: Float64Array,
): Record<string, number> {
  let m: Record<string, number>;
  if (task === "binary") {
    m = {
      auc: auc(labels, pred, weights),
      logloss: logLoss(labels, pred, weights),
      accuracy: accuracy(labels, pred, 1, weights),
    };
  } else if (task === "multiclass") {
    m = {
      multi_logloss: multiLogLoss(labels, pred, k, weights),
      accuracy: accuracy(labels, pred, k, weights),
    };
  } else {
    m = { ...regressionMetrics(labels, pred, weights) };
  }
  // NaN (e.g. AUC with one class in the held-out rows) cannot be stored in JSON: leave it out.
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));
}

/** Reference statistics of predictions: numeric, or the predicted class (multiclass). */
export function predictionStats(
  task: Spec["task"],
  pred: Float64Array,
  k: number,
  classes?: string[],
): Stats {
  if (task !== "multiclass") return numericStats(pred);
  const labels = Array.from({ length: pred.length / k }, (_, r) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (pred[r * k + c] > pred[r * k + best]) best = c;
    return String(classes?.[best] ?? best);
  });
  return categoryStats(
    labels,
    Array.from({ length: k }, (_, c) => String(classes?.[c] ?? c)),
  );
}
