/** Helpers shared by the js-* tests: the zoo loader (test/helpers/zoo.ts) and difference measures. */
import fc from "fast-check";
import type { ParsedModel } from "../src/js.js";
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

export const KZ = Math.fround(1e-35);
/** Values that probe every edge of LightGBM's decisions. */
export const SPECIALS = [
  Number.NaN,
  0,
  -0,
  1e300,
  -1e300,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  KZ,
  -KZ,
  nextAfter(KZ, 1),
  nextAfter(-KZ, -1),
  1e-36,
  -1e-36,
  Number.MIN_VALUE,
  -0.5,
  0.5,
  2 ** 31,
  -(2 ** 31),
  2 ** 31 - 1,
  3e9,
];

/** An engine that exposes its parsed model (js, wasm). */
type WithModel = { info: { numFeatures: number }; model: ParsedModel };

/** Per feature: values worth probing (thresholds +- 1 ulp, categories around the bitsets). */
export function probeValues(engine: WithModel): number[][] {
  const nf = engine.info.numFeatures;
  const pools: Set<number>[] = Array.from({ length: nf }, () => new Set<number>());
  for (const t of engine.model.trees) {
    for (let i = 0; i < t.numLeaves - 1; i++) {
      const f = t.splitFeature[i];
      if ((t.decisionType[i] & 1) === 0) {
        const v = t.threshold[i];
        pools[f].add(v).add(nextAfter(v, 1)).add(nextAfter(v, -1));
      } else {
        const c = t.threshold[i];
        const words = t.catBoundaries[c + 1] - t.catBoundaries[c];
        for (let k = -2; k < words * 32 + 3; k++) pools[f].add(k);
        pools[f].add(-0.5).add(0.5).add(1.999);
      }
    }
  }
  return pools.map((p) => [...p]);
}

/**
 * A fast-check row for this model: each feature's probe values (thresholds +- 1 ulp, categories), the
 * specials, small and any doubles, and `extra` values where given.
 */
export function probeRow(engine: WithModel, extra?: fc.Arbitrary<number>): fc.Arbitrary<number[]> {
  const pools = probeValues(engine);
  const value = (f: number) =>
    fc.oneof(
      { weight: 4, arbitrary: pools[f].length > 0 ? fc.constantFrom(...pools[f]) : fc.double() },
      { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
      { weight: 2, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) },
      { weight: 1, arbitrary: fc.double() },
      ...(extra ? [{ weight: 1, arbitrary: extra }] : []),
    );
  return fc.tuple(...Array.from({ length: engine.info.numFeatures }, (_, f) => value(f)));
}
