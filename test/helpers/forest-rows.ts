import type { CompiledForest } from "../../src/compiled/forest.js";

/** Raw scores of every row of X through a compiled forest's single-row call. */
export function byRows(forest: CompiledForest, X: Float64Array, nrow: number, ncol: number, k: number) {
  const out = new Float64Array(nrow * k);
  const o = new Float64Array(k);
  for (let r = 0; r < nrow; r++) {
    forest.predictRow(X.subarray(r * ncol, (r + 1) * ncol), o);
    out.set(o, r * k);
  }
  return out;
}

/** Raw scores of every row of X through a compiled forest's batch call, `size` rows a call. */
export function byBatches(
  forest: CompiledForest,
  X: Float64Array,
  nrow: number,
  ncol: number,
  k: number,
  size: number,
) {
  const out = new Float64Array(nrow * k);
  for (let r0 = 0; r0 < nrow; r0 += size) {
    const m = Math.min(size, nrow - r0);
    const o = new Float64Array(m * k);
    forest.predict(X.subarray(r0 * ncol, (r0 + m) * ncol), m, o);
    out.set(o, r0 * k);
  }
  return out;
}
