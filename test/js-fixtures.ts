/** Helpers shared by the js-* tests: the zoo loader (test/helpers/zoo.ts) and difference measures. */
import { loadZooCase } from "./helpers/zoo.js";

export { decodeNum, ZOO_DIR, type ZooCase, zooNames } from "./helpers/zoo.js";
export const loadZoo = loadZooCase;

export function firstNotIdentical(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Largest |a-b| / max(|a|,|b|) (0 where both are identical, Infinity where only one is NaN). */
export function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]));
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}

/** Largest |a-b| / max(1, |b|): absolute below 1, relative above (Infinity for NaN mismatches). */
export function maxAbsOrRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}

const view = new DataView(new ArrayBuffer(8));
/** The next double after x towards +inf (dir 1) or -inf (dir -1), like C's nextafter. */
export function nextAfter(x: number, dir: 1 | -1): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return dir * Number.MIN_VALUE;
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === dir > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
