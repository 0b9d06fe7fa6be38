/**
 * The addon's walk kernels (native/walk_kernel.cc: AVX-512 and AVX2 gathers over the compiled forest's walk
 * tables), against LightGBM itself (the native engine with compiled: false), bit for bit on raw scores:
 *   every zoo model with the walk forced on, through every kernel this CPU runs: single rows, batches of 1
 *   to 257 rows, and fast-check rows probing every threshold +- 1 ulp, NaN, +-0, +-kZeroThreshold,
 *   infinities and categories;
 *   tables that fail the kernel's checks (hand-broken, and fast-check byte flips) are refused with a
 *   RangeError or walked without leaving them: never a crash;
 *   the engine's walkKernel option, and the kernels in worker_threads (the addon is context-aware).
 * Big trained models through the native engine's default kernel are in walk.test.ts.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CompiledForest, NATIVE_WALK_MAX_ROWS } from "../src/compiled/forest.js";
import { WALK_MAX_ROWS } from "../src/compiled/walk.js";
import { NativeEngine } from "../src/engines/native.js";
import { buildLayout } from "../src/model-text/layout.js";
import { parseModel } from "../src/model-text/parse.js";
import { loadBinding } from "../src/native/binding.js";
import { mulberry32 } from "../src/train/prng.js";
import { byBatches, byRows } from "./helpers/forest-rows.js";
import { chainForest } from "./helpers/one-tree-model.js";
import { firstNotIdentical, loadZoo, probeRow, zooNames } from "./js-fixtures.js";

const { TableWalk } = loadBinding();
const isas = TableWalk.isas();

function expectIdentical(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  const i = firstNotIdentical(actual, expected);
  expect(i, `${what}: first difference at ${i}: ${actual[i]} vs LightGBM ${expected[i]}`).toBe(-1);
}

/** A forest with the walk forced on, and its walk served by the addon's `isa` kernel (when it has a walk). */
function walkedForest(modelText: string, isa: "avx512" | "avx2") {
  const model = parseModel(modelText);
  const forest = CompiledForest.fromModel(model, buildLayout(model), { walk: "always", shared: true });
  const source = forest.walkSource();
  const walker = source === undefined ? undefined : new TableWalk(source.tables, source.spec, isa);
  if (walker !== undefined) forest.attachWalker(walker);
  return { model, forest, source, walker };
}

it("this CPU runs a kernel (the development and CI machines have AVX-512 and AVX2)", () => {
  // the kernels' parity tests below run for each kernel listed; an x86-64 CPU without AVX2 lists none
  expect(Array.isArray(isas)).toBe(true);
  for (const isa of isas) expect(["avx512", "avx2"]).toContain(isa);
  if (process.arch === "x64") expect(isas).toContain("avx2");
});

describe.each(zooNames())("the addon's walk kernels on zoo model %s", (name) => {
  const c = loadZoo(name);
  const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
  afterAll(() => lightgbm.dispose());
  const want = lightgbm.predict(c.X, c.nrow, { type: "raw" });

  it.each(isas)("%s: single rows, batches of 1 to 257 rows, and fast-check rows", (isa) => {
    const { model, forest, source } = walkedForest(c.modelText, isa);
    if (source === undefined) {
      // linear leaves and categories over 31 have no walk: nothing for a kernel to take
      expect(forest.nativeWalk).toBe(false);
      return;
    }
    expect(forest.nativeWalk).toBe(true);
    const k = model.numTreePerIteration;
    expectIdentical(byRows(forest, c.X, c.nrow, c.ncol, k), want, "single rows");
    // chunks of WALK_MAX_ROWS rows up to NATIVE_WALK_MAX_ROWS; over it, the if/else code
    for (const size of [
      1,
      2,
      7,
      8,
      9,
      WALK_MAX_ROWS,
      WALK_MAX_ROWS + 1,
      100,
      NATIVE_WALK_MAX_ROWS,
      NATIVE_WALK_MAX_ROWS + 1,
    ])
      expectIdentical(byBatches(forest, c.X, c.nrow, c.ncol, k, size), want, `batches of ${size}`);
    const row = probeRow({ info: { numFeatures: c.ncol }, model });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: WALK_MAX_ROWS }), (rows) => {
        const X = Float64Array.from(rows.flat());
        const expected = lightgbm.predict(X, rows.length, { type: "raw" });
        expectIdentical(byBatches(forest, X, rows.length, c.ncol, k, rows.length), expected, "batch");
        expectIdentical(byRows(forest, X, rows.length, c.ncol, k), expected, "single rows");
      }),
      { numRuns: 25, seed: 20261201 },
    );
  });
});

it.skipIf(isas.length === 0)(
  "a forest of 20,000 trees: chunks of fewer rows (scratch under ~1 MB), same bits",
  () => {
    const text = chainForest(20_000, 1);
    const lightgbm = NativeEngine.fromString(text, { numThreads: 1, compiled: false });
    const n = 7;
    const X = Float64Array.from({ length: 2 * n }, (_, i) => (i % 5 === 0 ? Number.NaN : i - 6.5));
    const want = lightgbm.predict(X, n, { type: "raw" });
    lightgbm.dispose();
    for (const isa of isas) {
      const { forest, walker } = walkedForest(text, isa);
      expect(forest.nativeWalk).toBe(true);
      // 20 bytes a tree and row: 2 rows a chunk for 20,000 trees (32 rows would be 12.8 MB)
      expect(walker!.bytes).toBeLessThan(2 ** 21 + 2 * forest.tableBytes);
      expectIdentical(byBatches(forest, X, n, 2, 1, n), want, `${isa}: a batch of ${n}`);
      expectIdentical(byRows(forest, X, n, 2, 1), want, `${isa}: single rows`);
    }
  },
);

describe("tables the kernels refuse", () => {
  const c = loadZoo("binary");
  const model = parseModel(c.modelText);
  const forest = CompiledForest.fromModel(model, buildLayout(model), { walk: "always", shared: true });
  const source = forest.walkSource()!;
  const [tableBase, entriesAt, entriesEnd, groupsAddr, numTrees, , rankRowBytes] = source.spec;
  const copy = () => ({ tables: source.tables.slice(), spec: source.spec.slice() });
  const view = (t: Uint8Array) => new DataView(t.buffer, t.byteOffset, t.byteLength);
  // byte offset in the tables of an address in the memory
  const at = (addr: number) => addr - tableBase;
  const rootOf = (t: Uint8Array, tree: number) => view(t).getInt32(at(groupsAddr + 12 * tree), true);
  const isa = isas[0] ?? "avx2";
  const refuse = (t: { tables: Uint8Array; spec: Int32Array }, why: RegExp) =>
    expect(() => new TableWalk(t.tables, t.spec, isa)).toThrow(why);

  it.skipIf(isas.length === 0)("bad layouts, entries, slots, offsets and leaves: a RangeError each", () => {
    expect(new TableWalk(source.tables, source.spec, isa).isa).toBe(isa);
    let t = copy();
    t.spec[4] = numTrees + 1_000_000;
    refuse(t, /walk tables refused: bad group table/);
    t = copy();
    t.spec[6] = 8192;
    refuse(t, /bad rank row size/);
    t = copy();
    t.spec[2] = entriesEnd + 8 * 1_000_000;
    refuse(t, /bad entry range/);
    t = copy();
    view(t.tables).setInt32(at(groupsAddr), entriesEnd + 64, true);
    refuse(t, /bad root/);
    // the first tree's root: its rank slot beyond the rank row, its children beyond the entries
    const root = rootOf(source.tables, 0);
    t = copy();
    view(t.tables).setUint16(at(root) + 4, rankRowBytes, true);
    refuse(t, /bad rank slot/);
    t = copy();
    view(t.tables).setUint16(at(root) + 6, 0xfff8, true);
    refuse(t, /bad children offset/);
    t = copy();
    view(t.tables).setUint16(at(root) + 6, view(t.tables).getUint16(at(root) + 6, true) | 1, true);
    refuse(t, /categorical entry in a numerical model/);
    // a leaf whose index lies beyond the tables (entry 0 is the padding trees' leaf, reached by no tree)
    t = copy();
    const firstLeaf = (() => {
      for (let e = entriesAt + 8; e < entriesEnd; e += 8)
        if (view(t.tables).getUint16(at(e) + 6, true) === 0) return e;
      throw new Error("no leaf");
    })();
    view(t.tables).setInt32(at(firstLeaf), 1 << 30, true);
    refuse(t, /bad leaf index/);
    // two trees sharing a root
    t = copy();
    view(t.tables).setInt32(at(groupsAddr + 12), rootOf(t.tables, 0), true);
    refuse(t, /reached twice/);
    expect(() => new TableWalk(source.tables, source.spec, "sse2" as "avx2")).toThrow(/isa must be/);
    expect(() => new TableWalk(source.tables, Int32Array.of(1, 2), isa)).toThrow(/spec must be/);
  });

  it.skipIf(isas.length === 0)("run() checks its arguments", () => {
    const w = new TableWalk(source.tables, source.spec, isa);
    expect(() => w.run(new Uint8Array(rankRowBytes - 4), 1, new Float64Array(1))).toThrow(/ranks has/);
    expect(() => w.run(new Uint8Array(rankRowBytes * 2), 2, new Float64Array(1))).toThrow(/out has/);
    expect(() =>
      w.run(new Uint8Array(rankRowBytes), 1, new Float32Array(1) as unknown as Float64Array),
    ).toThrow(/Float64Array/);
    expect(() => w.bindRow(new Uint8Array(4), new Float64Array(1))).toThrow(/ranks has/);
  });

  it.skipIf(isas.length === 0)(
    "flipped bytes anywhere in the tables: refused or walked, never a crash",
    () => {
      const rand = mulberry32(5);
      const ranks = new Uint8Array(rankRowBytes * 3);
      const ranks32 = new Int32Array(ranks.buffer);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(source.tables.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
          (flips) => {
            const t = source.tables.slice();
            for (const [i, b] of flips) t[i] = b;
            let walker: ReturnType<typeof walkerOf>;
            try {
              walker = walkerOf(t);
            } catch (err) {
              expect(err).toBeInstanceOf(RangeError);
              return;
            }
            for (let i = 0; i < ranks32.length; i++) ranks32[i] = (rand() * 2 ** 32) | 0;
            const out = new Float64Array(3);
            walker.run(ranks, 3, out);
            expect(out.length).toBe(3);
          },
        ),
        { numRuns: 300, seed: 7 },
      );
      function walkerOf(t: Uint8Array) {
        return new TableWalk(t, source.spec, isa);
      }
    },
  );
});

describe("the native engine's walkKernel option", () => {
  const c = loadZoo("binary");
  it("reaches the engine through Model.fromString, as through Model.load", async () => {
    // a model of 8,192 splits: the walk by default (64 trees of 129 leaves, one split each on 2 features)
    const { Model } = await import("../src/model.js");
    const text = chainForest(64, 128);
    for (const walkKernel of [...isas, "wasm"] as const) {
      const model = await Model.fromString(text, { engine: "native", walkKernel });
      const engine = model.engine as NativeEngine;
      expect(engine.walkKernel).toBe(walkKernel);
      // the addon's copy of the tables is reported with the compiled model's memory
      const { tableBytes, walkerBytes } = engine.compiledMemory!;
      if (walkKernel === "wasm") expect(walkerBytes).toBe(0);
      else expect(walkerBytes).toBeGreaterThan(tableBytes);
      model.dispose();
    }
  });

  it("wasm, auto and each kernel the CPU runs give the same bits; anything else is refused", () => {
    // the zoo's binary model is too small for the walk by default: the option changes nothing there
    const small = NativeEngine.fromString(c.modelText, { walkKernel: "wasm" });
    expect(small.walkKernel).toBeUndefined();
    small.dispose();
    expect(() => NativeEngine.fromString(c.modelText, { walkKernel: "sse" as "auto" })).toThrow(
      /walkKernel must be one of auto, avx512, avx2, wasm/,
    );
    const { forest } = walkedForest(c.modelText, isas[0] ?? "avx2");
    expect(forest.nativeWalk).toBe(isas.length > 0);
  });

  it.skipIf(process.arch !== "x64" || isas.includes("avx512"))(
    "asking for AVX-512 on a CPU without it throws",
    () => {
      const model = parseModel(c.modelText);
      const forest = CompiledForest.fromModel(model, buildLayout(model), { walk: "always", shared: true });
      const source = forest.walkSource()!;
      expect(() => new TableWalk(source.tables, source.spec, "avx512")).toThrow(/does not run the avx512/);
    },
  );
});

describe("the kernels in worker_threads", () => {
  const addon = join(import.meta.dirname, "../build/Release/lightgbm_node.node");
  // plain JS in the worker: the addon itself, loaded fresh in each worker's environment
  const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { TableWalk } = require(workerData.addon);
const results = {};
for (const isa of TableWalk.isas()) {
  const w = new TableWalk(workerData.tables, workerData.spec, isa);
  const out = new Float64Array(workerData.n);
  w.run(workerData.ranks, workerData.n, out);
  results[isa] = Array.from(out);
}
parentPort.postMessage(results);
`;

  it.skipIf(isas.length === 0)("three workers walk at once and give the main thread's bits", async () => {
    const c = loadZoo("regression");
    const model = parseModel(c.modelText);
    const forest = CompiledForest.fromModel(model, buildLayout(model), { walk: "always", shared: true });
    const source = forest.walkSource()!;
    const rankRowBytes = source.spec[6];
    // the rank rows of the first 20 rows, taken from the forest's own memory after it ranked them
    const n = 20;
    const ranks = new Uint8Array(n * rankRowBytes);
    const main = new TableWalk(source.tables, source.spec, isas[0]);
    const o = new Float64Array(1);
    const want: number[] = [];
    forest.attachWalker(main);
    for (let r = 0; r < n; r++) {
      forest.predictRow(c.X.subarray(r * c.ncol, (r + 1) * c.ncol), o);
      want.push(o[0]);
      ranks.set(new Uint8Array(forest.memory.buffer, 0, rankRowBytes), r * rankRowBytes);
    }
    const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
    expect(want).toEqual(Array.from(lightgbm.predict(c.X.subarray(0, n * c.ncol), n, { type: "raw" })));
    lightgbm.dispose();
    const workerData = { addon, tables: source.tables.slice(), spec: source.spec, ranks, n };
    const workers = [0, 1, 2].map(() => new Worker(workerSource, { eval: true, workerData }));
    try {
      const results = await Promise.all(
        workers.map(
          (w) =>
            new Promise<Record<string, number[]>>((resolve, reject) => {
              w.once("message", resolve);
              w.once("error", reject);
            }),
        ),
      );
      for (const r of results) {
        expect(Object.keys(r)).toEqual(isas);
        for (const isa of isas) expect(r[isa]).toEqual(want);
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
