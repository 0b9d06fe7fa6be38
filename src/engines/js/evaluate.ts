/**
 * Tree evaluation over the flat layout, following GBDT::PredictRaw / Tree::Predict /
 * Tree::GetLeaf / Tree::PredictLeafIndex of LightGBM. All arithmetic is float64 in LightGBM's order
 * (per output class: 0.0, then += each tree of the requested iterations in tree order), so raw
 * scores are bit-identical.
 */

import { K_ZERO_THRESHOLD, KIND_NUM_NAN_LEFT, KIND_ZERO_LEFT, type Layout } from "./layout.js";

export interface Evaluator {
  /** Global leaf index reached by the row at data[off..] in tree `t`. */
  leaf(data: Float64Array, off: number, t: number): number;
  /** Tree::Predict: the output of tree `t` for the row (linear leaves included). */
  treeValue(data: Float64Array, off: number, t: number): number;
  /**
   * Raw scores of `nrow` rows starting at row 0 of `data`, trees [t0, t1) (t0 a multiple of k),
   * written to out[r * k + c].
   */
  rawBatch(data: Float64Array, nrow: number, t0: number, t1: number, k: number, out: Float64Array): void;
}

export function makeEvaluator(L: Layout): Evaluator {
  const { feat, thr, kind, left, right, catStart, catWords, catBits, leafValue, root, treeLinear } = L;
  const { linConst, linStart, linFeat, linCoeff } = L;
  const nf = L.numFeatures;
  const Z = K_ZERO_THRESHOLD;

  function leaf(data: Float64Array, off: number, t: number): number {
    let node = root[t];
    while (node >= 0) {
      const v = data[off + feat[node]];
      const k = kind[node];
      let goLeft: boolean;
      if (k <= KIND_NUM_NAN_LEFT) {
        goLeft = v <= thr[node] || (k === KIND_NUM_NAN_LEFT && Number.isNaN(v));
      } else if (k <= KIND_ZERO_LEFT) {
        goLeft = Number.isNaN(v) || (v >= -Z && v <= Z) ? k === KIND_ZERO_LEFT : v <= thr[node];
      } else {
        // CategoricalDecision: NaN, negative and (after static_cast<int>) out-of-range values go
        // right; x in (-1, 0) truncates to category 0. FindInBitset: beyond the bitset -> right.
        goLeft = false;
        if (v > -1 && v < 2147483648) {
          const iv = v | 0;
          const w = iv >>> 5;
          goLeft = w < catWords[node] && ((catBits[catStart[node] + w] >>> (iv & 31)) & 1) === 1;
        }
      }
      node = goLeft ? left[node] : right[node];
    }
    return ~node;
  }

  function linearValue(data: Float64Array, off: number, lf: number): number {
    let out = linConst[lf];
    const end = linStart[lf + 1];
    for (let j = linStart[lf]; j < end; j++) {
      let v = data[off + linFeat[j]];
      if (Number.isNaN(v)) return leafValue[lf];
      if (v >= -Z && v <= Z) v = 0;
      out += linCoeff[j] * v;
    }
    return out;
  }

  function treeValue(data: Float64Array, off: number, t: number): number {
    const lf = leaf(data, off, t);
    return treeLinear[t] === 1 ? linearValue(data, off, lf) : leafValue[lf];
  }

  function rawBatch(
    data: Float64Array,
    nrow: number,
    t0: number,
    t1: number,
    k: number,
    out: Float64Array,
  ): void {
    if (L.anyLinear) {
      for (let r = 0, off = 0; r < nrow; r++, off += nf) {
        const o = r * k;
        for (let c = 0; c < k; c++) out[o + c] = 0;
        for (let t = t0, c = 0; t < t1; t++) {
          out[o + c] += treeValue(data, off, t);
          if (++c === k) c = 0;
        }
      }
      return;
    }
    if (k === 1) {
      for (let r = 0, off = 0; r < nrow; r++, off += nf) {
        let acc = 0;
        for (let t = t0; t < t1; t++) acc += leafValue[leaf(data, off, t)];
        out[r] = acc;
      }
      return;
    }
    for (let r = 0, off = 0; r < nrow; r++, off += nf) {
      const o = r * k;
      for (let c = 0; c < k; c++) out[o + c] = 0;
      for (let t = t0, c = 0; t < t1; t++) {
        out[o + c] += leafValue[leaf(data, off, t)];
        if (++c === k) c = 0;
      }
    }
  }

  return { leaf, treeValue, rawBatch };
}
