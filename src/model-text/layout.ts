/**
 * Flat, CPU-friendly layout of all trees of a model: one typed array per node field, every tree
 * concatenated, no object per node. Children are global: `>= 0` is a global node index, `< 0` is
 * `~globalLeafIndex`. A single-leaf tree has `root = ~leaf`.
 *
 * Node decisions are pre-digested into a `kind` byte so the hot loop has few branches:
 *   0  numerical, NaN goes right     (missing type None with 0 > threshold, or NaN + default right)
 *   1  numerical, NaN goes left      (missing type None with 0 <= threshold, or NaN + default left)
 *   2  numerical, missing type Zero, zero/NaN go right
 *   3  numerical, missing type Zero, zero/NaN go left
 *   4  categorical (bitset)
 * This is exactly Tree::NumericalDecision / Tree::CategoricalDecision (include/LightGBM/tree.h):
 * with missing type None (and the undefined type 3) NaN is read as 0.0, so its direction only
 * depends on `0 <= threshold`; with missing type NaN it follows default_left.
 *
 * LightGBM's C API also drops every input value with |x| <= kZeroThreshold (it keeps only
 * "non-zero" entries of a dense row, see RowPairFunctionFromDenseMatric), so such values reach the
 * trees as +0.0. For a threshold with |t| <= kZeroThreshold that changes the comparison, and the
 * threshold stored here is adjusted so that `x <= thr` on the raw input gives the same answer as
 * `0.0 <= t` would for the dropped values (see adjustThreshold). Linear leaves apply the same rule
 * to the values they multiply.
 */

import type { ParsedModel } from "./parse.js";

/** LightGBM's kZeroThreshold: the float literal 1e-35f widened to double. */
export const K_ZERO_THRESHOLD = Math.fround(1e-35);

export const KIND_NUM_NAN_RIGHT = 0;
export const KIND_NUM_NAN_LEFT = 1;
export const KIND_ZERO_RIGHT = 2;
export const KIND_ZERO_LEFT = 3;
export const KIND_CATEGORICAL = 4;

export interface Layout {
  numTrees: number;
  numFeatures: number;
  /** Per tree: root (global node index, or ~global leaf for a single-leaf tree). */
  root: Int32Array;
  /** Per tree: global index of its leaf 0. */
  leafBase: Int32Array;
  /** Per tree: number of leaves. */
  numLeaves: Int32Array;
  /** Per tree: 1 when the tree has linear leaves. */
  treeLinear: Uint8Array;
  anyLinear: boolean;
  anyCategorical: boolean;

  /** Per node. */
  feat: Int32Array;
  thr: Float64Array;
  kind: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Categorical nodes: offset of the bitset in catBits, and its length in 32-bit words. */
  catStart: Int32Array;
  catWords: Int32Array;
  /** internal_count (TreeSHAP's data_count for internal nodes). */
  nodeCount: Float64Array;
  catBits: Uint32Array;

  /** Per leaf. */
  leafValue: Float64Array;
  leafCount: Float64Array;
  /** Linear leaves: constant, and [linStart[l], linStart[l+1]) into linFeat / linCoeff. */
  linConst: Float64Array;
  linStart: Int32Array;
  linFeat: Int32Array;
  linCoeff: Float64Array;

  /** Per tree: Tree::ExpectedValue(), the bias term of its SHAP values. */
  expectedValue: Float64Array;
  /** Maximum leaf depth over all trees (sizes the TreeSHAP path buffer). */
  maxDepth: number;

  /**
   * The hot-path copy of the trees: one 16-byte record per node *and* per leaf, each tree in
   * depth-first preorder so that a node's left child is the next record (implicit) and most of a
   * root-to-leaf path shares cache lines. Record i:
   *   recF64[2i]      threshold (adjusted, see above), or the leaf value for a leaf
   *   recI32[4i + 2]  record of the right child, or the global leaf index for a leaf
   *   recI32[4i + 3]  (feature << 3) | kind, kind = KIND_LEAF (7) for a leaf
   * Both views share one ArrayBuffer. Categorical records keep their bitset in recCatStart /
   * recCatWords (indexed by record).
   */
  recF64: Float64Array;
  recI32: Int32Array;
  recCatStart: Int32Array;
  recCatWords: Int32Array;
  /** Per tree: record of its root (a leaf record for a single-leaf tree). */
  recRoot: Int32Array;
}

export const KIND_LEAF = 7;

const scratch = new DataView(new ArrayBuffer(8));

/** The next double towards -Infinity (x finite and negative here). */
function nextDown(x: number): number {
  scratch.setFloat64(0, x);
  const bits = scratch.getBigUint64(0);
  scratch.setBigUint64(0, x < 0 ? bits + 1n : x > 0 ? bits - 1n : 0x8000000000000001n);
  return scratch.getFloat64(0);
}

/**
 * Threshold to compare raw inputs with, such that `x <= adjusted` equals LightGBM's
 * `(|x| <= kZeroThreshold ? 0.0 : x) <= t` for every non-NaN x.
 */
export function adjustThreshold(t: number): number {
  if (t >= -K_ZERO_THRESHOLD && t <= K_ZERO_THRESHOLD) {
    // 0.0 <= t: the dropped values go left, so do all x <= kZeroThreshold.
    // 0.0 >  t: the dropped values go right, so only x < -kZeroThreshold go left.
    return t >= 0 ? K_ZERO_THRESHOLD : nextDown(-K_ZERO_THRESHOLD);
  }
  return t;
}

export function buildLayout(model: ParsedModel): Layout {
  const trees = model.trees;
  const numTrees = trees.length;
  let totalNodes = 0;
  let totalLeaves = 0;
  let totalBits = 0;
  let totalLin = 0;
  let maxDepth = 0;
  for (const t of trees) {
    totalNodes += t.numLeaves - 1;
    totalLeaves += t.numLeaves;
    totalBits += t.catThreshold.length;
    if (t.isLinear) for (const f of t.leafFeatures) totalLin += f.length;
    if (t.maxDepth > maxDepth) maxDepth = t.maxDepth;
  }

  const L: Layout = {
    numTrees,
    numFeatures: model.numFeatures,
    root: new Int32Array(numTrees),
    leafBase: new Int32Array(numTrees),
    numLeaves: new Int32Array(numTrees),
    treeLinear: new Uint8Array(numTrees),
    anyLinear: false,
    anyCategorical: false,
    feat: new Int32Array(totalNodes),
    thr: new Float64Array(totalNodes),
    kind: new Uint8Array(totalNodes),
    left: new Int32Array(totalNodes),
    right: new Int32Array(totalNodes),
    catStart: new Int32Array(totalNodes),
    catWords: new Int32Array(totalNodes),
    nodeCount: new Float64Array(totalNodes),
    catBits: new Uint32Array(totalBits),
    leafValue: new Float64Array(totalLeaves),
    leafCount: new Float64Array(totalLeaves),
    linConst: new Float64Array(totalLeaves),
    linStart: new Int32Array(totalLeaves + 1),
    linFeat: new Int32Array(totalLin),
    linCoeff: new Float64Array(totalLin),
    expectedValue: new Float64Array(numTrees),
    maxDepth,
    recF64: new Float64Array(0),
    recI32: new Int32Array(0),
    recCatStart: new Int32Array(0),
    recCatWords: new Int32Array(0),
    recRoot: new Int32Array(numTrees),
  };

  let nodeBase = 0;
  let leafBase = 0;
  let bitBase = 0;
  let linPos = 0;
  for (let ti = 0; ti < numTrees; ti++) {
    const t = trees[ti];
    const nNodes = t.numLeaves - 1;
    L.leafBase[ti] = leafBase;
    L.numLeaves[ti] = t.numLeaves;
    L.root[ti] = nNodes > 0 ? nodeBase : ~leafBase;
    const mapChild = (c: number) => (c >= 0 ? nodeBase + c : ~(leafBase + ~c));
    for (let i = 0; i < nNodes; i++) {
      const g = nodeBase + i;
      const dt = t.decisionType[i];
      L.feat[g] = t.splitFeature[i];
      L.left[g] = mapChild(t.leftChild[i]);
      L.right[g] = mapChild(t.rightChild[i]);
      L.nodeCount[g] = t.internalCount[i];
      if ((dt & 1) !== 0) {
        const ci = t.threshold[i];
        L.kind[g] = KIND_CATEGORICAL;
        L.thr[g] = ci;
        L.catStart[g] = bitBase + t.catBoundaries[ci];
        L.catWords[g] = t.catBoundaries[ci + 1] - t.catBoundaries[ci];
        L.anyCategorical = true;
      } else {
        const missingType = (dt >> 2) & 3;
        const defaultLeft = (dt & 2) !== 0;
        const thr = adjustThreshold(t.threshold[i]);
        L.thr[g] = thr;
        if (missingType === 1) {
          L.kind[g] = defaultLeft ? KIND_ZERO_LEFT : KIND_ZERO_RIGHT;
        } else if (missingType === 2) {
          L.kind[g] = defaultLeft ? KIND_NUM_NAN_LEFT : KIND_NUM_NAN_RIGHT;
        } else {
          L.kind[g] = 0 <= thr ? KIND_NUM_NAN_LEFT : KIND_NUM_NAN_RIGHT;
        }
      }
    }
    L.catBits.set(t.catThreshold, bitBase);
    L.leafValue.set(t.leafValue, leafBase);
    L.leafCount.set(t.leafCount, leafBase);
    if (t.isLinear) {
      L.treeLinear[ti] = 1;
      L.anyLinear = true;
    }
    for (let l = 0; l < t.numLeaves; l++) {
      L.linStart[leafBase + l] = linPos;
      if (t.isLinear) {
        L.linConst[leafBase + l] = t.leafConst[l];
        L.linFeat.set(t.leafFeatures[l], linPos);
        L.linCoeff.set(t.leafCoeff[l], linPos);
        linPos += t.leafFeatures[l].length;
      }
    }
    // Tree::ExpectedValue (LightGBM 4.7: weighted by leaf_count / internal_count[0]).
    if (t.numLeaves === 1) {
      L.expectedValue[ti] = t.leafValue[0];
    } else {
      const total = t.internalCount[0];
      let ev = 0;
      for (let l = 0; l < t.numLeaves; l++) ev += (t.leafCount[l] / total) * t.leafValue[l];
      L.expectedValue[ti] = ev;
    }
    nodeBase += nNodes;
    leafBase += t.numLeaves;
    bitBase += t.catThreshold.length;
  }
  L.linStart[totalLeaves] = linPos;
  buildRecords(L, totalNodes + totalLeaves);
  return L;
}

/** Fills the preorder record arrays from the per-node arrays (see Layout.recF64). */
function buildRecords(L: Layout, total: number): void {
  const buf = new ArrayBuffer(total * 16);
  const F = new Float64Array(buf);
  const I = new Int32Array(buf);
  const catStart = new Int32Array(L.anyCategorical ? total : 0);
  const catWords = new Int32Array(L.anyCategorical ? total : 0);
  // stack of [global child (node >= 0 or ~leaf), record to patch with its position or -1]
  const stackChild = new Int32Array(total + 1);
  const stackPatch = new Int32Array(total + 1);
  let rec = 0;
  for (let t = 0; t < L.numTrees; t++) {
    L.recRoot[t] = rec;
    let sp = 0;
    stackChild[sp] = L.root[t];
    stackPatch[sp++] = -1;
    while (sp > 0) {
      sp--;
      const c = stackChild[sp];
      const patch = stackPatch[sp];
      if (patch >= 0) I[4 * patch + 2] = rec;
      if (c < 0) {
        const leaf = ~c;
        F[2 * rec] = L.leafValue[leaf];
        I[4 * rec + 2] = leaf;
        I[4 * rec + 3] = KIND_LEAF;
      } else {
        F[2 * rec] = L.thr[c];
        I[4 * rec + 3] = (L.feat[c] << 3) | L.kind[c];
        if (L.kind[c] === KIND_CATEGORICAL) {
          catStart[rec] = L.catStart[c];
          catWords[rec] = L.catWords[c];
        }
        // right first so that the left child is popped next and lands at rec + 1
        stackChild[sp] = L.right[c];
        stackPatch[sp++] = rec;
        stackChild[sp] = L.left[c];
        stackPatch[sp++] = -1;
      }
      rec++;
    }
  }
  L.recF64 = F;
  L.recI32 = I;
  L.recCatStart = catStart;
  L.recCatWords = catWords;
}
