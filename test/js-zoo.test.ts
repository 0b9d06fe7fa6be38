/**
 * Parity of the pure TypeScript engine with LightGBM 4.7.0 itself, on the zoo of models generated
 * by test/fixtures/make_zoo.py (expected values are Booster.predict outputs).
 *   raw scores and leaf indices: identical (Object.is, so -0/+0 and NaN count)
 *   transformed outputs: identical (glibc's exp and log1p, src/model-text/libm; within 1e-15 where the
 *     C library is not glibc's FMA variant, test/helpers/libm.ts)
 *   SHAP contributions: within 1e-12, absolute below magnitude 1 and relative above
 */
import { afterAll, describe, expect, it } from "vitest";
import { JsEngine, parseModel } from "../src/js.js";
import { NORMAL_TOLERANCE } from "./helpers/libm.js";
import { firstNotIdentical, loadZoo, maxAbsOrRelDiff, maxRelDiff, zooNames } from "./js-fixtures.js";

const names = zooNames();
const worst = { normal: 0, contrib: 0 };

function expectIdentical(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  const i = firstNotIdentical(actual, expected);
  expect(i, `${what}: first difference at ${i}: ${actual[i]} vs LightGBM ${expected[i]}`).toBe(-1);
}

describe("JsEngine matches LightGBM on the zoo", () => {
  it("has a zoo covering every rule the engine implements", () => {
    expect(names.length).toBeGreaterThanOrEqual(25);
    const seen = new Set<string>();
    for (const name of names) {
      const m = parseModel(loadZoo(name).modelText);
      seen.add(`objective:${m.objectiveLine}`);
      if (m.averageOutput) seen.add("average_output");
      for (const t of m.trees) {
        if (t.numLeaves === 1) seen.add("single-leaf tree");
        if (t.isLinear) seen.add("linear leaves");
        for (let i = 0; i < t.numLeaves - 1; i++) {
          const dt = t.decisionType[i];
          if (dt & 1) {
            const c = t.threshold[i];
            const words = t.catBoundaries[c + 1] - t.catBoundaries[c];
            seen.add(words > 1 ? "bitset over several words" : "bitset in one word");
            let bits = 0;
            for (let w = t.catBoundaries[c]; w < t.catBoundaries[c + 1]; w++) {
              for (let b = t.catThreshold[w]; b !== 0; b >>>= 1) bits += b & 1;
            }
            if (bits === 1) seen.add("one-hot categorical split");
          } else {
            seen.add(`missing type ${(dt >> 2) & 3}, default ${dt & 2 ? "left" : "right"}`);
            if (Math.abs(t.threshold[i]) <= Math.fround(1e-35)) seen.add("threshold at +-kZeroThreshold");
          }
        }
      }
    }
    for (const want of [
      "single-leaf tree",
      "linear leaves",
      "average_output",
      "bitset over several words",
      "bitset in one word",
      "one-hot categorical split",
      "missing type 0, default left",
      "missing type 1, default left",
      "missing type 1, default right",
      "missing type 2, default left",
      "missing type 2, default right",
      "threshold at +-kZeroThreshold",
      "objective:binary sigmoid:0.7",
      "objective:multiclass num_class:3",
      "objective:multiclassova num_class:3 sigmoid:1.5",
      "objective:cross_entropy",
      "objective:cross_entropy_lambda",
      "objective:regression sqrt",
      "objective:poisson",
      "objective:gamma",
      "objective:tweedie",
      "objective:regression_l1",
      "objective:huber",
      "objective:quantile",
      "objective:lambdarank",
    ]) {
      expect(seen.has(want), want).toBe(true);
    }
  });

  for (const name of names) {
    describe(name, () => {
      const c = loadZoo(name);
      const engine = JsEngine.fromString(c.modelText);

      it("model info", () => {
        expect(engine.info.numFeatures).toBe(c.ncol);
        expect(engine.info.objectiveLine).toBe(c.objective);
        expect(engine.info.objective).toBe(c.objective.split(" ")[0]);
      });

      it("raw scores are bit-identical", () => {
        expectIdentical(engine.predict(c.X, c.nrow, { type: "raw" }), c.expected.raw, "raw");
      });

      it("leaf indices are identical", () => {
        expectIdentical(engine.predict(c.X, c.nrow, { type: "leaf" }), c.expected.leaf, "leaf");
      });

      it("transformed outputs identical", () => {
        const d = maxRelDiff(engine.predict(c.X, c.nrow), c.expected.normal);
        worst.normal = Math.max(worst.normal, d);
        expect(d).toBeLessThanOrEqual(NORMAL_TOLERANCE);
      });

      it("SHAP contributions within 1e-12 (abs-or-rel)", () => {
        if (c.expected.contrib === null) {
          // LightGBM refuses contributions for linear trees; so does the JS engine
          expect(() => engine.predict(c.X, c.nrow, { type: "contrib" })).toThrow(/linear trees/);
          return;
        }
        const got = engine.predict(c.X, c.nrow, { type: "contrib" });
        expect(got.length).toBe(c.expected.contrib.length);
        const d = maxAbsOrRelDiff(got, c.expected.contrib);
        worst.contrib = Math.max(worst.contrib, d);
        expect(d).toBeLessThanOrEqual(1e-12);
      });

      it("start iteration / num iterations", () => {
        const opts = { startIteration: c.iterations.start, numIterations: c.iterations.num };
        expectIdentical(
          engine.predict(c.X, c.nrow, { ...opts, type: "raw" }),
          c.iterations.raw,
          "raw (range)",
        );
        expectIdentical(
          engine.predict(c.X, c.nrow, { ...opts, type: "leaf" }),
          c.iterations.leaf,
          "leaf (range)",
        );
        const dn = maxRelDiff(engine.predict(c.X, c.nrow, opts), c.iterations.normal);
        expect(dn).toBeLessThanOrEqual(NORMAL_TOLERANCE);
        if (c.iterations.contrib !== null) {
          const dc = maxAbsOrRelDiff(
            engine.predict(c.X, c.nrow, { ...opts, type: "contrib" }),
            c.iterations.contrib,
          );
          expect(dc).toBeLessThanOrEqual(1e-12);
        }
      });

      it("batches spanning several row blocks give the same raw scores and leaves", () => {
        const reps = 3;
        const big = new Float64Array(c.X.length * reps);
        for (let i = 0; i < reps; i++) big.set(c.X, i * c.X.length);
        for (const type of ["raw", "leaf"] as const) {
          const want = new Float64Array(c.expected[type].length * reps);
          for (let i = 0; i < reps; i++) want.set(c.expected[type], i * c.expected[type].length);
          expectIdentical(engine.predict(big, c.nrow * reps, { type }), want, `${type} x${reps}`);
        }
      });

      it("predictRow agrees with predict on every row and type", () => {
        const nf = c.ncol;
        for (const type of ["normal", "raw", "leaf", "contrib"] as const) {
          if (type === "contrib" && c.expected.contrib === null) continue;
          const all = engine.predict(c.X, c.nrow, { type });
          const w = engine.outputWidth({ type });
          expect(all.length).toBe(w * c.nrow);
          for (let r = 0; r < c.nrow; r++) {
            const one = engine.predictRow(c.X.subarray(r * nf, (r + 1) * nf), { type });
            expect(firstNotIdentical(one, all.subarray(r * w, (r + 1) * w))).toBe(-1);
          }
        }
      });
    });
  }

  afterAll(() => {
    console.log(
      `zoo parity: ${names.length} models; max rel diff (normal) ${worst.normal}; max abs-or-rel diff (contrib) ${worst.contrib}`,
    );
  });
});
