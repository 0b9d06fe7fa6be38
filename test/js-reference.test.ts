/**
 * Property tests that need no LightGBM at all (they run on CI without the native addon):
 *  1. The optimised flat-layout evaluator against a literal transcription of LightGBM's C++ rules
 *     (Tree::NumericalDecision / CategoricalDecision / GetLeaf / Predict, GBDT::PredictRaw and the
 *     C API's dropping of |x| <= kZeroThreshold inputs) working on the parsed per-tree arrays,
 *     on random rows: NaN, +-0, huge values, infinities, thresholds and one ulp either side,
 *     categories in and out of the bitsets. Raw scores and leaves must be identical.
 *  2. SHAP additivity: per class, the contributions plus bias sum to the raw score.
 *  3. Batch and single-row paths agree, and a batch equals its rows predicted one by one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsEngine, type ParsedModel, type ParsedTree } from "../src/js.js";
import { firstNotIdentical, loadZoo, nextAfter, SPECIALS, zooNames } from "./js-fixtures.js";

const kZeroThreshold = Math.fround(1e-35);

/** static_cast<int>(double) as x86-64 does it (cvttsd2si): out of range and NaN give INT_MIN. */
function cppIntCast(x: number): number {
  if (Number.isNaN(x) || x >= 2147483648 || x <= -2147483649) return -2147483648;
  return Math.trunc(x) | 0;
}

function isZero(x: number): boolean {
  return x >= -kZeroThreshold && x <= kZeroThreshold;
}

function numericalDecision(t: ParsedTree, fval0: number, node: number): number {
  let fval = fval0;
  const missingType = (t.decisionType[node] >> 2) & 3;
  if (Number.isNaN(fval) && missingType !== 2) fval = 0.0;
  if ((missingType === 1 && isZero(fval)) || (missingType === 2 && Number.isNaN(fval))) {
    return (t.decisionType[node] & 2) > 0 ? t.leftChild[node] : t.rightChild[node];
  }
  return fval <= t.threshold[node] ? t.leftChild[node] : t.rightChild[node];
}

function findInBitset(bits: Uint32Array, start: number, n: number, pos: number): boolean {
  const i1 = Math.trunc(pos / 32);
  if (i1 >= n) return false;
  const i2 = pos % 32;
  return ((bits[start + i1] >>> i2) & 1) === 1;
}

function categoricalDecision(t: ParsedTree, fval: number, node: number): number {
  if (Number.isNaN(fval)) return t.rightChild[node];
  const intFval = cppIntCast(fval);
  if (intFval < 0) return t.rightChild[node];
  const catIdx = cppIntCast(t.threshold[node]);
  const b = t.catBoundaries;
  return findInBitset(t.catThreshold, b[catIdx], b[catIdx + 1] - b[catIdx], intFval)
    ? t.leftChild[node]
    : t.rightChild[node];
}

function getLeaf(t: ParsedTree, x: Float64Array): number {
  let node = 0;
  while (node >= 0) {
    const fval = x[t.splitFeature[node]];
    node =
      t.numCat > 0 && (t.decisionType[node] & 1) > 0
        ? categoricalDecision(t, fval, node)
        : numericalDecision(t, fval, node);
  }
  return ~node;
}

function treePredict(t: ParsedTree, x: Float64Array): number {
  if (t.isLinear) {
    const leaf = t.numLeaves > 1 ? getLeaf(t, x) : 0;
    let output = t.leafConst[leaf];
    for (let i = 0; i < t.leafFeatures[leaf].length; i++) {
      const v = x[t.leafFeatures[leaf][i]];
      if (Number.isNaN(v)) return t.leafValue[leaf];
      output += t.leafCoeff[leaf][i] * v;
    }
    return output;
  }
  return t.numLeaves > 1 ? t.leafValue[getLeaf(t, x)] : t.leafValue[0];
}

/** The predict buffer LightGBM's C API builds from a dense row: |x| <= kZeroThreshold is dropped. */
function cApiRow(row: Float64Array): Float64Array {
  const buf = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (Math.abs(v) > kZeroThreshold || Number.isNaN(v)) buf[i] = v;
  }
  return buf;
}

function referenceRaw(m: ParsedModel, row: Float64Array): Float64Array {
  const x = cApiRow(row);
  const k = m.numTreePerIteration;
  const out = new Float64Array(k);
  for (let i = 0; i < m.numIterations; i++) {
    for (let c = 0; c < k; c++) out[c] += treePredict(m.trees[i * k + c], x);
  }
  return out;
}

function referenceLeaves(m: ParsedModel, row: Float64Array): Float64Array {
  const x = cApiRow(row);
  return Float64Array.from(m.trees, (t) => (t.numLeaves > 1 ? getLeaf(t, x) : 0));
}

function rowsArbitrary(m: ParsedModel) {
  const pools: number[][] = Array.from({ length: m.numFeatures }, () => []);
  for (const t of m.trees) {
    for (let i = 0; i < t.numLeaves - 1; i++) {
      const v = t.threshold[i];
      if ((t.decisionType[i] & 1) === 0) pools[t.splitFeature[i]].push(v, nextAfter(v, 1), nextAfter(v, -1));
      else
        for (let c = -1; c <= 32 * (t.catBoundaries[v + 1] - t.catBoundaries[v]) + 1; c++)
          pools[t.splitFeature[i]].push(c);
    }
  }
  const value = (f: number) =>
    fc.oneof(
      { weight: 4, arbitrary: pools[f].length > 0 ? fc.constantFrom(...pools[f]) : fc.double() },
      { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
      { weight: 2, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
      { weight: 1, arbitrary: fc.double() },
    );
  const row = fc.tuple(...Array.from({ length: m.numFeatures }, (_, f) => value(f)));
  return fc.array(row, { minLength: 1, maxLength: 10 });
}

describe.each(zooNames())("js engine vs a literal transcription of LightGBM's rules: %s", (name) => {
  const c = loadZoo(name);
  const engine = JsEngine.fromString(c.modelText);
  const m = engine.model;
  const nf = m.numFeatures;
  const k = m.numTreePerIteration;

  it("raw scores and leaf indices identical on random rows; SHAP adds up to the raw score", () => {
    fc.assert(
      fc.property(rowsArbitrary(m), (rows) => {
        const X = Float64Array.from(rows.flat());
        const n = rows.length;
        const raw = engine.predict(X, n, { type: "raw" });
        const leaves = engine.predict(X, n, { type: "leaf" });
        const contrib = m.trees.some((t) => t.isLinear) ? null : engine.predict(X, n, { type: "contrib" });
        for (let r = 0; r < n; r++) {
          const row = X.subarray(r * nf, (r + 1) * nf);
          const want = referenceRaw(m, row);
          expect(firstNotIdentical(raw.subarray(r * k, (r + 1) * k), want)).toBe(-1);
          const wantLeaves = referenceLeaves(m, row);
          expect(
            firstNotIdentical(leaves.subarray(r * m.trees.length, (r + 1) * m.trees.length), wantLeaves),
          ).toBe(-1);
          expect(firstNotIdentical(engine.predictRow(row, { type: "raw" }), want)).toBe(-1);
          if (contrib) {
            for (let cls = 0; cls < k; cls++) {
              const base = r * k * (nf + 1) + cls * (nf + 1);
              let sum = 0;
              for (let j = 0; j <= nf; j++) sum += contrib[base + j];
              const target = want[cls];
              expect(Math.abs(sum - target)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(target)));
            }
          }
        }
      }),
      { numRuns: 60, seed: 4242 },
    );
  });
});
