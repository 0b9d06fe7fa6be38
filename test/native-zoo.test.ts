// The native engine against LightGBM's Python package on every zoo model: the same library, so every
// predict type must match bit for bit, in batch, async and single-row paths.
import { describe, expect, it } from "vitest";
import { NativeEngine, SMALL_BATCH_ROWS } from "../src/engines/native.js";
import { firstDifference, loadZooCase, zooNames } from "./helpers/zoo.js";

const types = ["normal", "raw", "leaf", "contrib"] as const;

describe.each(zooNames())("native engine on zoo model %s", (name) => {
  const c = loadZooCase(name);

  it("batch predict matches LightGBM for every predict type", () => {
    const engine = NativeEngine.fromFile(c.modelFile);
    try {
      expect(engine.info.numFeatures).toBe(c.ncol);
      for (const type of types) {
        const want = c.expected[type];
        if (want === null) {
          // LightGBM refuses this type for this model (contrib on linear trees): so must we.
          expect(() => engine.predict(c.X, c.nrow, { type })).toThrow(/LightGBM|not supported|linear/i);
          continue;
        }
        const got = engine.predict(c.X, c.nrow, { type });
        expect(firstDifference(got, want), `${type}`).toBe(-1);
      }
    } finally {
      engine.dispose();
    }
  });

  it("async, single-row and from-string paths give the same numbers", async () => {
    const engine = NativeEngine.fromString(c.modelText, { numThreads: 2 });
    try {
      for (const type of types) {
        const want = c.expected[type];
        if (want === null) {
          await expect(engine.predictAsync(c.X, c.nrow, { type })).rejects.toThrow();
          continue;
        }
        const got = await engine.predictAsync(c.X, c.nrow, { type });
        expect(firstDifference(got, want), `async ${type}`).toBe(-1);
        const width = engine.outputWidth({ type });
        for (let r = 0; r < c.nrow; r++) {
          const row = engine.predictRow(c.X.subarray(r * c.ncol, (r + 1) * c.ncol), { type });
          expect(firstDifference(row, want.subarray(r * width, (r + 1) * width)), `${type} row ${r}`).toBe(
            -1,
          );
        }
      }
    } finally {
      engine.dispose();
    }
  });

  it("small batches (the C++ loop over the single-row path) match LightGBM on both sides of the cutoff", () => {
    const engine = NativeEngine.fromFile(c.modelFile);
    try {
      for (const type of types) {
        const want = c.expected[type];
        const width = engine.outputWidth({ type });
        for (const n of [1, 2, 7, SMALL_BATCH_ROWS, SMALL_BATCH_ROWS + 1].filter((k) => k <= c.nrow)) {
          for (const first of [0, c.nrow - n]) {
            const X = c.X.subarray(first * c.ncol, (first + n) * c.ncol);
            if (want === null) {
              expect(() => engine.predict(X, n, { type }), `${type} n=${n}`).toThrow(
                /LightGBM|not supported|linear/i,
              );
              continue;
            }
            const got = engine.predict(X, n, { type });
            expect(
              firstDifference(got, want.subarray(first * width, (first + n) * width)),
              `${type} n=${n}`,
            ).toBe(-1);
          }
        }
      }
      const opts = { startIteration: c.iterations.start, numIterations: c.iterations.num };
      for (const type of types) {
        const want = c.iterations[type];
        if (want === null) continue;
        const width = engine.outputWidth({ ...opts, type });
        const got = engine.predict(c.X.subarray(0, 5 * c.ncol), 5, { ...opts, type });
        expect(firstDifference(got, want.subarray(0, 5 * width)), `iterations ${type}`).toBe(-1);
      }
    } finally {
      engine.dispose();
    }
  });

  it("start/num iterations match LightGBM", () => {
    const engine = NativeEngine.fromFile(c.modelFile);
    try {
      const opts = { startIteration: c.iterations.start, numIterations: c.iterations.num };
      for (const type of types) {
        const want = c.iterations[type];
        if (want === null) continue;
        const got = engine.predict(c.X, c.nrow, { ...opts, type });
        expect(firstDifference(got, want), `${type}`).toBe(-1);
        expect(got.length).toBe(c.nrow * engine.outputWidth({ ...opts, type }));
      }
    } finally {
      engine.dispose();
    }
  });
});
