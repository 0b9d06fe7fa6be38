/**
 * The wasm engine (the model compiled to WebAssembly, src/compiled/) against LightGBM itself (the native
 * engine with compiled: false, whose batches go through LGBM_BoosterPredictForMat), on every zoo model:
 *   raw scores: identical (Object.is), in batches (across block and chunk boundaries), single rows, with
 *     threads, and on random rows that probe every threshold +- 1 ulp, NaN, +-0, +-kZeroThreshold,
 *     infinities and categories in and out of the bitsets (fast-check)
 *   leaf indices and iteration ranges: identical (the reference walk)
 *   transformed outputs: identical (glibc's exp and log1p in TypeScript, src/model-text/libm; within
 *     1e-15 where the C library is not glibc's FMA variant)
 *   SHAP contributions: within 1e-12 (TreeSHAP of src/model-text)
 * Plus: the fixture's LightGBM (Python) raw scores, thread results equal to one thread's bit for bit,
 * argument errors, dispose, and models the compiler must survive (deep chains, wide bitsets).
 */
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CompileLimitError } from "../src/compiled/compile.js";
import { CompiledForest } from "../src/compiled/forest.js";
import type { PredictType } from "../src/engines/engine.js";
import { NativeEngine } from "../src/engines/native.js";
import { WasmEngine } from "../src/engines/wasm/index.js";
import { JsEngine } from "../src/js.js";
import { buildLayout } from "../src/model-text/layout.js";
import { parseModel } from "../src/model-text/parse.js";
import { NORMAL_TOLERANCE } from "./helpers/libm.js";
import { oneTreeModel } from "./helpers/one-tree-model.js";
import {
  firstNotIdentical,
  loadZoo,
  maxAbsOrRelDiff,
  maxRelDiff,
  probeRow,
  zooNames,
} from "./js-fixtures.js";

const worst = { normal: 0, contrib: 0, rows: 0 };

function expectIdentical(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  const i = firstNotIdentical(actual, expected);
  expect(i, `${what}: first difference at ${i}: ${actual[i]} vs LightGBM ${expected[i]}`).toBe(-1);
}

describe.each(zooNames())("wasm engine on zoo model %s", (name) => {
  const c = loadZoo(name);
  const wasm = WasmEngine.fromString(c.modelText);
  const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
  const hasContrib = c.expected.contrib !== null;
  afterAll(() => {
    wasm.dispose();
    lightgbm.dispose();
  });

  it("matches LightGBM on the zoo rows: raw, normal, leaf, contrib, an iteration window", () => {
    expectIdentical(wasm.predict(c.X, c.nrow, { type: "raw" }), c.expected.raw, "raw vs the fixture");
    for (const type of ["raw", "leaf"] as PredictType[]) {
      expectIdentical(wasm.predict(c.X, c.nrow, { type }), lightgbm.predict(c.X, c.nrow, { type }), type);
    }
    const dn = maxRelDiff(wasm.predict(c.X, c.nrow), lightgbm.predict(c.X, c.nrow));
    worst.normal = Math.max(worst.normal, dn);
    expect(dn).toBeLessThanOrEqual(NORMAL_TOLERANCE);
    if (hasContrib) {
      const dc = maxAbsOrRelDiff(
        wasm.predict(c.X, c.nrow, { type: "contrib" }),
        lightgbm.predict(c.X, c.nrow, { type: "contrib" }),
      );
      worst.contrib = Math.max(worst.contrib, dc);
      expect(dc).toBeLessThanOrEqual(1e-12);
    } else {
      expect(() => wasm.predict(c.X, c.nrow, { type: "contrib" })).toThrow(/linear trees/);
    }
    const window = { startIteration: c.iterations.start, numIterations: c.iterations.num };
    for (const type of ["raw", "leaf"] as PredictType[]) {
      expectIdentical(
        wasm.predict(c.X, c.nrow, { ...window, type }),
        lightgbm.predict(c.X, c.nrow, { ...window, type }),
        `${type} window`,
      );
    }
    worst.rows += c.nrow;
  });

  it("single rows match, with and without an out buffer", () => {
    const want = lightgbm.predict(c.X, c.nrow, { type: "raw" });
    const k = wasm.info.numClasses;
    const out = new Float64Array(k);
    for (let r = 0; r < c.nrow; r++) {
      const row = c.X.subarray(r * c.ncol, (r + 1) * c.ncol);
      const expected = want.subarray(r * k, (r + 1) * k);
      expectIdentical(wasm.predictRow(row, { type: "raw" }, out), expected, `row ${r}`);
      expectIdentical(wasm.predictRow(row, { type: "raw" }), expected, `row ${r} (allocating)`);
    }
  });

  it("blocks, groups and chunks of any size give the same bits", () => {
    const model = parseModel(c.modelText);
    const layout = buildLayout(model);
    const want = lightgbm.predict(c.X, c.nrow, { type: "raw" });
    for (const opts of [
      { blockRows: 1, groupNodes: 1 },
      { blockRows: 3, groupNodes: 7 },
      { blockRows: 64, groupNodes: 100000 },
    ]) {
      const forest = CompiledForest.fromModel(model, layout, opts);
      const out = new Float64Array(want.length);
      forest.predict(c.X, c.nrow, out);
      expectIdentical(out, want, JSON.stringify(opts));
    }
  });

  it("matches LightGBM on random rows (fast-check)", () => {
    const row = probeRow(wasm, fc.integer({ min: -3, max: 100 }));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), (rows) => {
        const X = Float64Array.from(rows.flat());
        const want = lightgbm.predict(X, rows.length, { type: "raw" });
        expectIdentical(wasm.predict(X, rows.length, { type: "raw" }), want, "batch");
        const k = wasm.info.numClasses;
        expectIdentical(
          wasm.predictRow(X.subarray(0, c.ncol), { type: "raw" }),
          want.subarray(0, k),
          "single row",
        );
      }),
      { numRuns: 60, seed: 20261201 },
    );
  });
});

// Worker threads run dist/compiled/thread-worker.js (built by pretest): from the TypeScript sources the
// worker file does not exist, so these tests take the engine from dist/ too, as users get it.
const dist = (p: string) => join(import.meta.dirname, "../dist", p);
const built = await import(dist("engines/wasm/index.js"));
const builtHost = (await import(dist("compiled/pool-node.js"))).nodeThreadHost;

describe("wasm engine threads", () => {
  const c = loadZoo("multiclass");
  const one: WasmEngine = built.WasmEngine.fromString(c.modelText);
  const two: WasmEngine = built.WasmEngine.fromString(c.modelText, { numThreads: 2, threadHost: builtHost });
  afterAll(() => {
    one.dispose();
    two.dispose();
  });

  // 20,000 rows: the zoo rows with a little noise, so that every block differs
  const reps = Math.ceil(20000 / c.nrow);
  const X = new Float64Array(reps * c.X.length);
  for (let i = 0; i < X.length; i++) X[i] = c.X[i % c.X.length] * (1 + ((i % 7) - 3) * 1e-3);
  const n = X.length / c.ncol;

  it("start a worker at the first threaded call, and it joins the jobs", async () => {
    const pool = (two as unknown as { pool: { ready: number } }).pool;
    expect(pool.ready).toBe(0);
    two.predict(X, n);
    for (let i = 0; i < 200 && pool.ready < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pool.ready).toBe(1);
  });

  it("give the bits of one thread, sync and async, raw and normal", async () => {
    for (const type of ["raw", "normal"] as PredictType[]) {
      const want = one.predict(X, n, { type });
      expectIdentical(two.predict(X, n, { type }), want, `${type} sync`);
      expectIdentical(await two.predictAsync(X, n, { type }), want, `${type} async`);
      // concurrent async calls run one after the other; a sync call meanwhile runs on the caller's thread
      const [a, b] = await Promise.all([two.predictAsync(X, n, { type }), two.predictAsync(X, n, { type })]);
      expectIdentical(a, want, `${type} concurrent a`);
      expectIdentical(b, want, `${type} concurrent b`);
      const pending = two.predictAsync(X, n, { type });
      expectIdentical(two.predict(X, n, { type }), want, `${type} sync during async`);
      expectIdentical(await pending, want, `${type} async beside sync`);
    }
  });

  it("leave the conversion to the caller: their host (no addon) does not convert in the workers", () => {
    const pool = (
      two as unknown as {
        pool: { predict(d: Float64Array, n: number, t: number, c: boolean): { converted: boolean } };
      }
    ).pool;
    expect(pool.predict(X, n, 2, true).converted).toBe(false);
  });

  it("small batches and per-call thread counts", async () => {
    for (const rows of [1, 2, 17, 333]) {
      const sub = X.subarray(0, rows * c.ncol);
      const want = one.predict(sub, rows, { type: "raw" });
      expectIdentical(two.predict(sub, rows, { type: "raw" }), want, `${rows} rows`);
      expectIdentical(two.predict(sub, rows, { type: "raw", numThreads: 1 }), want, `${rows} rows, 1 thread`);
      expectIdentical(await two.predictAsync(sub, rows, { type: "raw" }), want, `${rows} rows async`);
    }
  });
});

describe("wasm engine", () => {
  const c = loadZoo("binary");

  it("without a worker (none could start), threaded calls run on the caller's thread", async () => {
    const failing = {
      start: (_init: unknown, onExit: () => void) => (setTimeout(onExit, 5), { terminate() {} }),
    };
    const e = WasmEngine.fromString(c.modelText, { numThreads: 2, threadHost: failing });
    const want = e.predict(c.X, c.nrow, { type: "raw", numThreads: 1 });
    expectIdentical(e.predict(c.X, c.nrow, { type: "raw" }), want, "sync");
    expectIdentical(await e.predictAsync(c.X, c.nrow, { type: "raw" }), want, "async, before the exit");
    await new Promise((r) => setTimeout(r, 20));
    expectIdentical(await e.predictAsync(c.X, c.nrow, { type: "raw" }), want, "async, after the exit");
    const pending = e.predictAsync(c.X, c.nrow, { type: "raw" });
    e.dispose();
    expectIdentical(await pending, want, "async, disposed during the call");
  });

  it("checks its arguments, and throws once disposed", async () => {
    const e = WasmEngine.fromString(c.modelText);
    expect(() => e.predict(new Float32Array(c.ncol) as unknown as Float64Array, 1)).toThrow(TypeError);
    expect(() => e.predict(new Float64Array(c.ncol + 1), 1)).toThrow(/expected nrow \* ncol/);
    expect(() => e.predict(new Float64Array(c.ncol), 1.5)).toThrow(RangeError);
    expect(() => e.predict(new Float64Array(c.ncol), 1, { type: "bogus" as PredictType })).toThrow(
      RangeError,
    );
    expect(() => e.predict(new Float64Array(c.ncol), 1, { numThreads: 0 })).toThrow(RangeError);
    expect(() => e.predictRow(new Float64Array(c.ncol), {}, new Float64Array(0))).toThrow(RangeError);
    expect(() => e.predictRow(new Float64Array(c.ncol + 1))).toThrow(RangeError);
    await expect(e.predictAsync(new Float64Array(c.ncol + 1), 1)).rejects.toThrow(RangeError);
    expect(e.predict(new Float64Array(0), 0)).toHaveLength(0);
    const mem = e.memoryUse;
    expect(mem.wasmBytes).toBeGreaterThan(0);
    expect(mem.memoryBytes).toBeGreaterThan(mem.tableBytes);
    e.dispose();
    e.dispose();
    expect(() => e.predictRow(new Float64Array(c.ncol))).toThrow(/disposed/);
    expect(() => e.predict(c.X, c.nrow)).toThrow(/disposed/);
  });

  it("compiles asynchronously from bytes (the browser's way)", async () => {
    const e = await WasmEngine.create(new TextEncoder().encode(c.modelText));
    expectIdentical(e.predict(c.X, c.nrow, { type: "raw" }), c.expected.raw, "raw");
    e.dispose();
  });

  /** One tree of `leaves` leaves in a chain (each split's right child is the next split), wide bitset. */
  function chainModel(leaves: number): string {
    const nodes = leaves - 1;
    const list = (f: (i: number) => number) => Array.from({ length: nodes }, (_, i) => f(i));
    return oneTreeModel({
      split: list((i) => (i === 1 ? 1 : 0)),
      threshold: list((i) => (i === 1 ? 0 : nodes - i)),
      decision: list((i) => (i === 1 ? 1 : i % 3 === 0 ? 2 : 8)),
      left: list((i) => -(i + 1)),
      right: list((i) => (i + 1 < nodes ? i + 1 : -leaves)),
      cat: { boundaries: [0, 8], bits: [1, 2, 4, 8, 16, 32, 64, 2147483648] },
    });
  }
  const chainRows = () => {
    const X = new Float64Array(2 * 400);
    for (let r = 0; r < 400; r++) {
      X[2 * r] = r % 5 === 0 ? Number.NaN : (r * 7.3) % 1600;
      X[2 * r + 1] = [0, 1, 33, 65, 100, 255, -1, 3e9, Number.NaN, 0.5][r % 10];
    }
    return X;
  };

  it("compiles a 1,000-deep chain tree and a wide bitset (exact against the js engine)", () => {
    const text = chainModel(1001);
    const wasm = WasmEngine.fromString(text);
    expect(wasm.compiled).toBe(true);
    const X = chainRows();
    expectIdentical(
      wasm.predict(X, 400, { type: "raw" }),
      JsEngine.fromString(text).predict(X, 400, { type: "raw" }),
      "chain",
    );
    wasm.dispose();
  });

  it("refuses a tree deeper than its limit (CompileLimitError), which the engines take as 'not compiled'", () => {
    const model = parseModel(chainModel(1001));
    expect(() => CompiledForest.fromModel(model, buildLayout(model), { maxDepth: 999 })).toThrow(
      CompileLimitError,
    );
    expect(() => CompiledForest.fromModel(model, buildLayout(model), { maxDepth: 1000 })).not.toThrow();
  });

  afterAll(() => {
    console.log(
      `wasm vs LightGBM: ${worst.rows} zoo rows; max rel diff (normal) ${worst.normal}; max abs-or-rel diff (contrib) ${worst.contrib}`,
    );
  });
});
