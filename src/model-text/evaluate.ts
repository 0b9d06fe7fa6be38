/**
 * Tree evaluation over the packed preorder records (see Layout.recF64), following LightGBM's
 * GBDT::PredictRaw / Tree::Predict / Tree::GetLeaf / Tree::PredictLeafIndex. All arithmetic is
 * float64 in LightGBM's order (per row and class: 0.0, then += each tree of the requested
 * iterations in tree order), so raw scores are bit-identical.
 *
 * Batches are evaluated in blocks of rows, tree by tree inside a block: a tree's records stay in
 * L1 while the block's rows go through it. Each row's accumulator still receives the trees in
 * model order, so the sums are the same as row-by-row evaluation.
 */

import { K_ZERO_THRESHOLD, KIND_LEAF, KIND_NUM_NAN_LEFT, KIND_ZERO_LEFT, type Layout } from "./layout.js";

export interface Evaluator {
  /** Global leaf index reached by the row at data[off..] in tree `t`. */
  leaf(data: Float64Array, off: number, t: number): number;
  /**
   * Raw scores of `nrow` rows of `data` (row r at r * numFeatures), trees [t0, t1) (t0 a multiple
   * of k), written to out[r * k + c].
   */
  rawBatch(data: Float64Array, nrow: number, t0: number, t1: number, k: number, out: Float64Array): void;
}

/** Rows per block in batch evaluation (a block of 40-feature rows is 40 KB). */
const BLOCK = 128;

export function makeEvaluator(L: Layout): Evaluator {
  const F = L.recF64;
  const I = L.recI32;
  const catStart = L.recCatStart;
  const catWords = L.recCatWords;
  const catBits = L.catBits;
  const recRoot = L.recRoot;
  const treeLinear = L.treeLinear;
  const { leafValue, linConst, linStart, linFeat, linCoeff } = L;
  const nf = L.numFeatures;
  const Z = K_ZERO_THRESHOLD;

  /** Record of the leaf reached from record `n` (Tree::GetLeaf with Tree::Decision). */
  function leafRecord(data: Float64Array, off: number, n: number): number {
    for (;;) {
      const fk = I[4 * n + 3];
      const k = fk & 7;
      if (k === KIND_LEAF) return n;
      const v = data[off + (fk >>> 3)];
      let goLeft: boolean;
      if (k <= KIND_NUM_NAN_LEFT) {
        // NumericalDecision, missing type None or NaN (NaN direction folded into the kind)
        goLeft = v <= F[2 * n] || (k === KIND_NUM_NAN_LEFT && Number.isNaN(v));
      } else if (k <= KIND_ZERO_LEFT) {
        // NumericalDecision, missing type Zero: NaN and |v| <= kZeroThreshold take the default side
        goLeft = Number.isNaN(v) || (v >= -Z && v <= Z) ? k === KIND_ZERO_LEFT : v <= F[2 * n];
      } else {
        // CategoricalDecision: NaN, negative and (after static_cast<int>) out-of-range values go
        // right; x in (-1, 0) truncates to category 0. FindInBitset: beyond the bitset -> right.
        goLeft = false;
        if (v > -1 && v < 2147483648) {
          const iv = v | 0;
          const w = iv >>> 5;
          goLeft = w < catWords[n] && ((catBits[catStart[n] + w] >>> (iv & 31)) & 1) === 1;
        }
      }
      n = goLeft ? n + 1 : I[4 * n + 2];
    }
  }

  /** Tree::Predict for a linear tree: NaN in a used feature falls back to the leaf value. */
  function linearValue(data: Float64Array, off: number, lf: number): number {
    let out = linConst[lf];
    const end = linStart[lf + 1];
    for (let j = linStart[lf]; j < end; j++) {
      let v = data[off + linFeat[j]];
      if (Number.isNaN(v)) return leafValue[lf];
      // the C API hands LightGBM +0.0 for |v| <= kZeroThreshold
      if (v >= -Z && v <= Z) v = 0;
      out += linCoeff[j] * v;
    }
    return out;
  }

  function leaf(data: Float64Array, off: number, t: number): number {
    return I[4 * leafRecord(data, off, recRoot[t]) + 2];
  }

  function rawBatch(
    data: Float64Array,
    nrow: number,
    t0: number,
    t1: number,
    k: number,
    out: Float64Array,
  ): void {
    out.fill(0, 0, nrow * k);
    if (nrow === 1) {
      // single row: no blocking
      for (let t = t0, c = 0; t < t1; t++) {
        const rec = leafRecord(data, 0, recRoot[t]);
        out[c] += treeLinear[t] === 1 ? linearValue(data, 0, I[4 * rec + 2]) : F[2 * rec];
        if (++c === k) c = 0;
      }
      return;
    }
    for (let r0 = 0; r0 < nrow; r0 += BLOCK) {
      const r1 = Math.min(nrow, r0 + BLOCK);
      for (let t = t0, c = 0; t < t1; t++) {
        const root = recRoot[t];
        if (treeLinear[t] === 1) {
          for (let r = r0; r < r1; r++) {
            const rec = leafRecord(data, r * nf, root);
            out[r * k + c] += linearValue(data, r * nf, I[4 * rec + 2]);
          }
        } else if (k === 1) {
          for (let r = r0, off = r0 * nf; r < r1; r++, off += nf)
            out[r] += F[2 * leafRecord(data, off, root)];
        } else {
          for (let r = r0, off = r0 * nf; r < r1; r++, off += nf)
            out[r * k + c] += F[2 * leafRecord(data, off, root)];
        }
        if (++c === k) c = 0;
      }
    }
  }

  return { leaf, rawBatch };
}

/** Leaf indices (local to each tree) of nrow rows for trees [t0, t1), row-major into out. */
export function leafIndices(
  ev: Evaluator,
  L: Layout,
  data: Float64Array,
  nrow: number,
  t0: number,
  t1: number,
  out: Float64Array,
): Float64Array {
  const nf = L.numFeatures;
  const leafBase = L.leafBase;
  for (let r = 0, off = 0, o = 0; r < nrow; r++, off += nf) {
    for (let t = t0; t < t1; t++) out[o++] = ev.leaf(data, off, t) - leafBase[t];
  }
  return out;
}
