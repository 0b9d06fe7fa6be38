/**
 * The native engine's compiled path (the model compiled to WebAssembly, src/compiled/, with the addon's
 * OutputConverter for the transforms) against LightGBM itself (the same engine with compiled: false, whose
 * batches go through LGBM_BoosterPredictForMat): raw and normal outputs must be identical (Object.is) on
 * every zoo model, in batches, async calls and single rows, on the zoo rows and on random rows that probe
 * every threshold, NaN, +-0, +-kZeroThreshold, infinities and categories in and out of the bitsets. The
 * converter uses the same libm as LightGBM, so normal outputs match bit for bit too. Threads (worker
 * threads sharing the module's memory) give the bits of one thread.
 */
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { NativeEngine } from "../src/engines/native.js";
import { JsEngine } from "../src/js.js";
import { chainForest } from "./helpers/one-tree-model.js";
import { firstNotIdentical, loadZoo, probeRow, zooNames } from "./js-fixtures.js";

const TYPES = ["raw", "normal"] as const;

describe.each(zooNames())("compiled native engine on zoo model %s", (name) => {
  const c = loadZoo(name);
  const compiled = NativeEngine.fromString(c.modelText, { numThreads: 1 });
  const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
  afterAll(() => {
    compiled.dispose();
    lightgbm.dispose();
  });

  it("is on, and matches LightGBM on the zoo rows: batches, async, single rows", async () => {
    expect(compiled.compiled).toBe(true);
    expect(lightgbm.compiled).toBe(false);
    for (const type of TYPES) {
      const want = lightgbm.predict(c.X, c.nrow, { type });
      expect(firstNotIdentical(compiled.predict(c.X, c.nrow, { type }), want), type).toBe(-1);
      expect(
        firstNotIdentical(await compiled.predictAsync(c.X, c.nrow, { type }), want),
        `async ${type}`,
      ).toBe(-1);
      const width = compiled.outputWidth({ type });
      const out = new Float64Array(width);
      for (let r = 0; r < c.nrow; r++) {
        const row = c.X.subarray(r * c.ncol, (r + 1) * c.ncol);
        const expected = want.subarray(r * width, (r + 1) * width);
        expect(firstNotIdentical(compiled.predictRow(row, { type }, out), expected), `${type} row ${r}`).toBe(
          -1,
        );
        expect(firstNotIdentical(compiled.predictRow(row, { type }), expected), `${type} row ${r}`).toBe(-1);
      }
    }
  });

  it("matches LightGBM on random rows (fast-check)", () => {
    const row = probeRow(JsEngine.fromString(c.modelText));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), (rows) => {
        const X = Float64Array.from(rows.flat());
        for (const type of TYPES) {
          const want = lightgbm.predict(X, rows.length, { type });
          expect(firstNotIdentical(compiled.predict(X, rows.length, { type }), want), type).toBe(-1);
          const width = want.length / rows.length;
          expect(
            firstNotIdentical(compiled.predictRow(X.subarray(0, c.ncol), { type }), want.subarray(0, width)),
            `${type} row`,
          ).toBe(-1);
        }
      }),
      { numRuns: 60, seed: 20261201 },
    );
  });
});

describe("compiled native engine", () => {
  const c = loadZoo("binary");

  it("is off when asked (compiled: false, or the former packedTrees: false)", () => {
    for (const opts of [{ compiled: false }, { packedTrees: false }]) {
      const e = NativeEngine.fromString(c.modelText, opts);
      expect(e.compiled, JSON.stringify(opts)).toBe(false);
      expect(e.packedTrees).toBe(false);
      expect(e.compiledMemory).toBeUndefined();
      e.dispose();
    }
    const e = NativeEngine.fromString(c.modelText);
    expect(e.compiled).toBe(true);
    const mem = e.compiledMemory!;
    expect(mem.wasmBytes).toBeGreaterThan(0);
    expect(mem.memoryBytes).toBeGreaterThan(mem.tableBytes);
    e.dispose();
  });

  it("leaves iteration ranges, leaf and SHAP outputs to LightGBM, with the same numbers", () => {
    const compiled = NativeEngine.fromString(c.modelText, { numThreads: 1 });
    const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
    for (const opts of [
      { startIteration: 1, numIterations: 3 },
      { type: "leaf" as const },
      { type: "contrib" as const },
    ]) {
      expect(
        firstNotIdentical(compiled.predict(c.X, c.nrow, opts), lightgbm.predict(c.X, c.nrow, opts)),
      ).toBe(-1);
    }
    compiled.dispose();
    lightgbm.dispose();
  });

  it("checks its arguments; throws once disposed", async () => {
    const e = NativeEngine.fromString(c.modelText);
    expect(() => e.predict(new Float32Array(c.ncol) as unknown as Float64Array, 1)).toThrow(TypeError);
    expect(() => e.predict(new Float64Array(c.ncol + 1), 1)).toThrow(/expected nrow \* ncol/);
    expect(() => e.predict(new Float64Array(c.ncol), 1.5)).toThrow(RangeError);
    expect(() => e.predict(new Float64Array(c.ncol), 1, { numThreads: 0 })).toThrow(RangeError);
    expect(() => e.predictRow(new Float64Array(c.ncol), {}, new Float64Array(0))).toThrow(RangeError);
    expect(() => e.predictRow(new Float64Array(c.ncol + 1))).toThrow(RangeError);
    await expect(e.predictAsync(new Float64Array(c.ncol + 1), 1)).rejects.toThrow(/expected nrow \* ncol/);
    expect(e.predict(new Float64Array(0), 0)).toHaveLength(0);
    e.dispose();
    expect(() => e.predictRow(new Float64Array(c.ncol))).toThrow(/disposed/);
    expect(() => e.predict(c.X, c.nrow)).toThrow(/disposed/);
  });
});

// Worker threads run dist/compiled/thread-worker.js (built by pretest), so the threaded engine comes from
// dist/ too, as users get it.
const built = await import(join(import.meta.dirname, "../dist/engines/native.js"));

describe("compiled native engine with threads", () => {
  const c = loadZoo("multiclass");
  const one: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 1 });
  const two: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 2 });
  afterAll(() => {
    one.dispose();
    two.dispose();
  });
  const reps = Math.ceil(20000 / c.nrow);
  const X = new Float64Array(reps * c.X.length);
  for (let i = 0; i < X.length; i++) X[i] = c.X[i % c.X.length] * (1 + ((i % 5) - 2) * 1e-3);
  const n = X.length / c.ncol;

  it("give one thread's bits, sync and async, and workers really run", async () => {
    for (const type of TYPES) {
      const want = one.predict(X, n, { type });
      expect(firstNotIdentical(two.predict(X, n, { type }), want), `${type} sync`).toBe(-1);
      expect(firstNotIdentical(await two.predictAsync(X, n, { type }), want), `${type} async`).toBe(-1);
      expect(firstNotIdentical(await one.predictAsync(X, n, { type }), want), `${type} async, 1 worker`).toBe(
        -1,
      );
    }
    const pool = (two as unknown as { compiledPath: { pool: { ready: number } } }).compiledPath.pool;
    for (let i = 0; i < 200 && pool.ready < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pool.ready).toBe(2);
    const want = one.predict(X, n);
    expect(firstNotIdentical(two.predict(X, n), want)).toBe(-1);
  });

  it("a loop of batches (the worker polls between them) gives one thread's bits for every batch", () => {
    const pool = (
      two as unknown as { compiledPath: { pool: { lastJob: { blocks: number; byCaller: number } } } }
    ).compiledPath.pool;
    const rows = 1000;
    let workerRan = 0;
    for (let i = 0; i < 300; i++) {
      // a different window each call: a worker that read rows before they were copied in would show
      const at = ((i * 7919) % (n - rows)) * c.ncol;
      const batch = X.subarray(at, at + rows * c.ncol);
      const want = one.predict(batch, rows, { type: "raw" });
      expect(firstNotIdentical(two.predict(batch, rows, { type: "raw" }), want), `batch ${i}`).toBe(-1);
      if (pool.lastJob.byCaller < pool.lastJob.blocks) workerRan++;
    }
    expect(workerRan).toBeGreaterThan(0);
  });

  it("an async call survives a dispose during the call", async () => {
    const e: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 2 });
    const want = one.predict(X, n);
    expect(firstNotIdentical(await e.predictAsync(X, n), want)).toBe(-1);
    const running = e.predictAsync(X, n);
    e.dispose();
    expect(firstNotIdentical(await running, want)).toBe(-1);
    await expect(e.predictAsync(X, n)).rejects.toThrow(/disposed/);
  });
});

describe("threads convert the outputs of their own blocks", () => {
  type Pooled = {
    compiledPath: {
      pool: {
        predict(
          data: Float64Array,
          nrow: number,
          threads: number,
          convert?: boolean,
        ): {
          out: Float64Array;
          converted: boolean;
        };
        lastJob: { blocks: number; byCaller: number };
        ready: number;
      };
    };
  };
  // a sigmoid, softmax (3 outputs), one-vs-all sigmoids, random-forest averaging, exp, and sqrt's square
  it.each(["binary_sigmoid", "multiclass", "multiclassova", "rf_binary", "poisson", "reg_sqrt"])(
    "%s: a loop of 2-thread batches gives one thread's normal outputs, converted by the caller and the worker",
    async (name) => {
      const c = loadZoo(name);
      const one: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 1 });
      const two: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 2 });
      try {
        const rows = 1000;
        const X = new Float64Array(8 * rows * c.ncol);
        for (let i = 0; i < X.length; i++) X[i] = c.X[i % c.X.length] * (1 + ((i % 7) - 3) * 1e-3);
        two.predict(X.subarray(0, rows * c.ncol), rows); // starts the pool
        const pool = (two as unknown as Pooled).compiledPath.pool;
        for (let i = 0; i < 200 && pool.ready < 1; i++) await new Promise((r) => setTimeout(r, 25));
        let workerRan = 0;
        for (let i = 0; i < 200; i++) {
          const at = ((i * 7919) % (7 * rows)) * c.ncol;
          const batch = X.subarray(at, at + rows * c.ncol);
          const want = one.predict(batch, rows);
          const { out, converted } = pool.predict(batch, rows, 2, true);
          expect(converted, `batch ${i}`).toBe(true);
          expect(firstNotIdentical(out, want), `batch ${i}`).toBe(-1);
          if (pool.lastJob.byCaller < pool.lastJob.blocks) workerRan++;
          expect(firstNotIdentical(two.predict(batch, rows), want), `batch ${i}, engine`).toBe(-1);
          const raw = pool.predict(batch, rows, 2, false);
          expect(raw.converted).toBe(false);
          expect(firstNotIdentical(raw.out, one.predict(batch, rows, { type: "raw" }))).toBe(-1);
        }
        expect(workerRan).toBeGreaterThan(0);
      } finally {
        one.dispose();
        two.dispose();
      }
    },
  );
});

describe("threaded batches and the size of the compiled code", () => {
  type WithPool = {
    compiledPath: {
      pool: { lastJob: { blocks: number }; lender?: object; forest: { moduleBytes(): Uint8Array } };
    };
  };
  const blocksOf = (text: string, rows: number, ncol: number) => {
    const one = NativeEngine.fromString(text, { numThreads: 1 });
    const two = NativeEngine.fromString(text, { numThreads: 2 });
    try {
      const X = new Float64Array(rows * ncol);
      for (let i = 0; i < X.length; i++) X[i] = ((i * 7919) % 211) / 7 - 15;
      expect(firstNotIdentical(two.predict(X, rows), one.predict(X, rows))).toBe(-1);
      const pool = (two as unknown as WithPool).compiledPath.pool;
      return {
        blocks: pool.lastJob.blocks,
        bytes: pool.forest.moduleBytes().byteLength,
        lends: pool.lender !== undefined,
      };
    } finally {
      one.dispose();
      two.dispose();
    }
  };

  it("a big module takes one block per thread, a small one two (each block fetches all the code again); only a small one lends its rows", () => {
    const small = blocksOf(loadZoo("binary").modelText, 1000, loadZoo("binary").ncol);
    expect(small.bytes).toBeLessThan(256 << 10);
    expect(small.blocks).toBe(4);
    expect(small.lends).toBe(true);
    const big = blocksOf(chainForest(600, 60), 1000, 2);
    expect(big.bytes).toBeGreaterThanOrEqual(256 << 10);
    expect(big.blocks).toBe(2);
    expect(big.lends).toBe(false);
  });
});
