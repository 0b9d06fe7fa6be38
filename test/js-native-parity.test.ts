/**
 * Cross-engine parity: the pure TypeScript engine against the native engine (LightGBM's own C API, the
 * compiled model off)
 * on every zoo model, on the zoo rows and on random rows from fast-check (NaN, +-0, huge values,
 * infinities, +-kZeroThreshold, every threshold of the model and one ulp either side, categories
 * inside and outside the bitsets, negative and fractional categories).
 *   raw scores, leaf indices: identical (Object.is)
 *   transformed outputs: identical (within 1e-15 where the C library is not glibc's FMA variant)
 *   SHAP contributions: within 1e-12, absolute below magnitude 1 and relative above
 * Skipped (with a note) only when the native addon cannot be loaded on this machine.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Engine, PredictType } from "../src/engines/engine.js";
import { NativeEngine } from "../src/engines/native.js";
import { JsEngine } from "../src/js.js";
import { NORMAL_TOLERANCE } from "./helpers/libm.js";
import {
  firstNotIdentical,
  loadZoo,
  maxAbsOrRelDiff,
  maxRelDiff,
  probeRow,
  zooNames,
} from "./js-fixtures.js";

function nativeAvailable(): boolean {
  try {
    NativeEngine.fromString(loadZoo("single_leaf").modelText, { numThreads: 1 }).dispose();
    return true;
  } catch (err) {
    console.warn(`native engine unavailable, skipping js/native parity: ${(err as Error).message}`);
    return false;
  }
}

const worst = { normal: 0, contrib: 0, rows: 0 };

function compareAll(js: Engine, native: Engine, X: Float64Array, nrow: number, hasContrib: boolean): void {
  for (const type of ["raw", "leaf"] as PredictType[]) {
    const a = js.predict(X, nrow, { type });
    const b = native.predict(X, nrow, { type, numThreads: 1 });
    const i = firstNotIdentical(a, b);
    expect(i, `${type} differs at ${i}: js ${a[i]} native ${b[i]}`).toBe(-1);
  }
  const dn = maxRelDiff(js.predict(X, nrow), native.predict(X, nrow, { numThreads: 1 }));
  worst.normal = Math.max(worst.normal, dn);
  expect(dn).toBeLessThanOrEqual(NORMAL_TOLERANCE);
  if (hasContrib) {
    const dc = maxAbsOrRelDiff(
      js.predict(X, nrow, { type: "contrib" }),
      native.predict(X, nrow, { type: "contrib", numThreads: 1 }),
    );
    worst.contrib = Math.max(worst.contrib, dc);
    expect(dc).toBeLessThanOrEqual(1e-12);
  }
  worst.rows += nrow;
}

describe.skipIf(!nativeAvailable())("JsEngine and NativeEngine agree", () => {
  for (const name of zooNames()) {
    describe(name, () => {
      const c = loadZoo(name);
      const js = JsEngine.fromString(c.modelText);
      // LightGBM itself: without the compiled model, the native engine's default path (it has its own
      // parity test against LightGBM, native-compiled.test.ts).
      const native = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
      const hasContrib = c.expected.contrib !== null;
      afterAll(() => native.dispose());

      it("on the zoo rows, whole range and an iteration window", () => {
        compareAll(js, native, c.X, c.nrow, hasContrib);
        const opts = { startIteration: c.iterations.start, numIterations: c.iterations.num, numThreads: 1 };
        for (const type of ["raw", "leaf"] as PredictType[]) {
          expect(
            firstNotIdentical(
              js.predict(c.X, c.nrow, { ...opts, type }),
              native.predict(c.X, c.nrow, { ...opts, type }),
            ),
          ).toBe(-1);
        }
      });

      it("with LightGBM's clamping of out-of-range iteration options", () => {
        const X = c.X.subarray(0, 8 * c.ncol);
        const total = js.info.numIterations;
        const ranges = [
          { startIteration: total },
          { startIteration: total + 5, numIterations: 2 },
          { startIteration: 1, numIterations: 0 },
          { startIteration: 1, numIterations: -1 },
          { startIteration: 0, numIterations: total + 10 },
          { startIteration: total - 1, numIterations: 5 },
        ];
        const types: PredictType[] = hasContrib
          ? ["normal", "raw", "leaf", "contrib"]
          : ["normal", "raw", "leaf"];
        // both reject a negative start
        expect(() => js.predict(X, 8, { startIteration: -3 })).toThrow(RangeError);
        expect(() => native.predict(X, 8, { startIteration: -3 })).toThrow(RangeError);
        for (const r of ranges) {
          for (const type of types) {
            const a = js.predict(X, 8, { ...r, type });
            const b = native.predict(X, 8, { ...r, type, numThreads: 1 });
            const d =
              type === "normal"
                ? maxRelDiff(a, b)
                : firstNotIdentical(a, b) === -1
                  ? 0
                  : maxAbsOrRelDiff(a, b);
            expect(a.length, `${type} ${JSON.stringify(r)}`).toBe(b.length);
            expect(d, `${type} ${JSON.stringify(r)}`).toBeLessThanOrEqual(
              type === "raw" || type === "leaf" ? 0 : 1e-12,
            );
          }
        }
      });

      it("on random rows (fast-check)", () => {
        const nf = js.info.numFeatures;
        const row = probeRow(js, fc.integer({ min: -3, max: 100 }));
        fc.assert(
          fc.property(fc.array(row, { minLength: 1, maxLength: 12 }), (rows) => {
            const X = Float64Array.from(rows.flat());
            compareAll(js, native, X, rows.length, hasContrib);
            // single-row path of both engines
            const r0 = X.subarray(0, nf);
            expect(
              firstNotIdentical(js.predictRow(r0, { type: "raw" }), native.predictRow(r0, { type: "raw" })),
            ).toBe(-1);
          }),
          { numRuns: 100, seed: 20251125 },
        );
      });
    });
  }

  afterAll(() => {
    console.log(
      `js vs native: ${worst.rows} rows; max rel diff (normal) ${worst.normal}; max abs-or-rel diff (contrib) ${worst.contrib}`,
    );
  });
});
