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
