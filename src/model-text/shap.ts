/**
 * TreeSHAP exactly as LightGBM computes it (src/io/tree.cpp: Tree::PredictContrib, TreeSHAP,
 * ExtendPath, UnwindPath, UnwoundPathSum; arXiv:1706.06060), with the same float64 operations in
 * the same order. The path elements live in a struct-of-arrays buffer sized
 * (maxDepth + 1) * (maxDepth + 2) / 2, like LightGBM's unique_path_data.
 */

import {
  K_ZERO_THRESHOLD,
  KIND_CATEGORICAL,
  KIND_NUM_NAN_LEFT,
  KIND_ZERO_LEFT,
  type Layout,
} from "./layout.js";

export interface Shap {
  /**
   * Adds tree `t`'s contributions for the row at data[off..] to phi[phiOff .. phiOff + numFeatures]
   * (bias at phiOff + numFeatures).
   */
  addTree(data: Float64Array, off: number, t: number, phi: Float64Array, phiOff: number): void;
}

export function makeShap(L: Layout): Shap {
  const { feat, thr, kind, left, right, catStart, catWords, catBits, leafValue, leafCount, nodeCount } = L;
  const Z = K_ZERO_THRESHOLD;
  const maxLen = L.maxDepth + 1;
  const size = (maxLen * (maxLen + 1)) / 2;
  const pFeat = new Int32Array(size);
  const pZero = new Float64Array(size);
  const pOne = new Float64Array(size);
  const pW = new Float64Array(size);

  let rowData: Float64Array = new Float64Array(0);
  let rowOff = 0;
  let phiArr: Float64Array = new Float64Array(0);
  let phiBase = 0;

  /** Tree::Decision for one node (same rules as the evaluator). */
  function decision(node: number): number {
    const v = rowData[rowOff + feat[node]];
    const k = kind[node];
    let goLeft: boolean;
    if (k <= KIND_NUM_NAN_LEFT) {
      goLeft = v <= thr[node] || (k === KIND_NUM_NAN_LEFT && Number.isNaN(v));
    } else if (k <= KIND_ZERO_LEFT) {
      goLeft = Number.isNaN(v) || (v >= -Z && v <= Z) ? k === KIND_ZERO_LEFT : v <= thr[node];
    } else {
      goLeft = false;
      if (k === KIND_CATEGORICAL && v > -1 && v < 2147483648) {
        const iv = v | 0;
        const w = iv >>> 5;
        goLeft = w < catWords[node] && ((catBits[catStart[node] + w] >>> (iv & 31)) & 1) === 1;
      }
    }
    return goLeft ? left[node] : right[node];
  }

  function dataCount(node: number): number {
    return node >= 0 ? nodeCount[node] : leafCount[~node];
  }

  function extendPath(P: number, ud: number, zero: number, one: number, fi: number): void {
    pFeat[P + ud] = fi;
    pZero[P + ud] = zero;
    pOne[P + ud] = one;
    pW[P + ud] = ud === 0 ? 1 : 0;
    for (let i = ud - 1; i >= 0; i--) {
      pW[P + i + 1] += (one * pW[P + i] * (i + 1)) / (ud + 1);
      pW[P + i] = (zero * pW[P + i] * (ud - i)) / (ud + 1);
    }
  }

  function unwindPath(P: number, ud: number, pathIndex: number): void {
    const one = pOne[P + pathIndex];
    const zero = pZero[P + pathIndex];
    let next = pW[P + ud];
    for (let i = ud - 1; i >= 0; --i) {
      if (one !== 0) {
        const tmp = pW[P + i];
        pW[P + i] = (next * (ud + 1)) / ((i + 1) * one);
        next = tmp - (pW[P + i] * zero * (ud - i)) / (ud + 1);
      } else {
        pW[P + i] = (pW[P + i] * (ud + 1)) / (zero * (ud - i));
      }
    }
    for (let i = pathIndex; i < ud; ++i) {
      pFeat[P + i] = pFeat[P + i + 1];
      pZero[P + i] = pZero[P + i + 1];
      pOne[P + i] = pOne[P + i + 1];
    }
  }

  function unwoundPathSum(P: number, ud: number, pathIndex: number): number {
    const one = pOne[P + pathIndex];
    const zero = pZero[P + pathIndex];
    let next = pW[P + ud];
    let total = 0;
    for (let i = ud - 1; i >= 0; --i) {
      if (one !== 0) {
        const tmp = (next * (ud + 1)) / ((i + 1) * one);
        total += tmp;
        next = pW[P + i] - tmp * zero * ((ud - i) / (ud + 1));
      } else {
        total += pW[P + i] / zero / ((ud - i) / (ud + 1));
      }
    }
    return total;
  }

  function treeShap(node: number, ud: number, parentP: number, pz: number, po: number, pf: number): void {
    const P = parentP + ud;
    // std::copy of the parent's path (plain loops beat copyWithin for these short runs)
    for (let i = 0; i < ud; i++) {
      pFeat[P + i] = pFeat[parentP + i];
      pZero[P + i] = pZero[parentP + i];
      pOne[P + i] = pOne[parentP + i];
      pW[P + i] = pW[parentP + i];
    }
    extendPath(P, ud, pz, po, pf);

    if (node < 0) {
      const lv = leafValue[~node];
      for (let i = 1; i <= ud; ++i) {
        const w = unwoundPathSum(P, ud, i);
        phiArr[phiBase + pFeat[P + i]] += w * (pOne[P + i] - pZero[P + i]) * lv;
      }
      return;
    }
    const hot = decision(node);
    const cold = hot === left[node] ? right[node] : left[node];
    const w = dataCount(node);
    const hotZero = dataCount(hot) / w;
    const coldZero = dataCount(cold) / w;
    let inZero = 1;
    let inOne = 1;
    const sf = feat[node];
    let pathIndex = 0;
    for (; pathIndex <= ud; ++pathIndex) {
      if (pFeat[P + pathIndex] === sf) break;
    }
    if (pathIndex !== ud + 1) {
      inZero = pZero[P + pathIndex];
      inOne = pOne[P + pathIndex];
      unwindPath(P, ud, pathIndex);
      ud -= 1;
    }
    treeShap(hot, ud + 1, P, hotZero * inZero, inOne, sf);
    treeShap(cold, ud + 1, P, coldZero * inZero, 0, sf);
  }

  function addTree(data: Float64Array, off: number, t: number, phi: Float64Array, phiOff: number): void {
    phi[phiOff + L.numFeatures] += L.expectedValue[t];
    const root = L.root[t];
    if (root < 0) return;
    rowData = data;
    rowOff = off;
    phiArr = phi;
    phiBase = phiOff;
    treeShap(root, 0, 0, 1, 1, -1);
  }

  return { addTree };
}

/**
 * SHAP contributions of nrow rows for trees [t0, t1) (t0 a multiple of k): per row and class, one value per
 * feature then the bias, as LGBM_BoosterPredictForMat with C_API_PREDICT_CONTRIB lays them out.
 */
export function contributions(
  shap: Shap,
  data: Float64Array,
  nrow: number,
  numFeatures: number,
  k: number,
  t0: number,
  t1: number,
  out: Float64Array,
): Float64Array {
  const width = k * (numFeatures + 1);
  out.fill(0, 0, nrow * width);
  for (let r = 0, off = 0; r < nrow; r++, off += numFeatures) {
    const o = r * width;
    for (let t = t0, c = 0; t < t1; t++) {
      shap.addTree(data, off, t, out, o + c * (numFeatures + 1));
      if (++c === k) c = 0;
    }
  }
  return out;
}
