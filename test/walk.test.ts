/**
 * The table walk (src/compiled/walk.ts): single rows and small batches of big models, against LightGBM
 * itself (the native engine with compiled: false), bit for bit on raw scores:
 *   every zoo model with the walk forced on ("always"; models with linear leaves or categories over 31
 *   must come without it), single rows and batches of 1 to 33 rows, and fast-check rows probing every
 *   threshold +- 1 ulp, NaN, +-0, +-kZeroThreshold and infinities;
 *   models trained here big enough to get the walk by default (binary with NaNs, zero as missing,
 *   multiclass with a last group of fewer than 8 trees, categorical features), through the native and wasm engines' defaults,
 *   single rows, small batches, threads, and transformed outputs.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CompiledForest } from "../src/compiled/forest.js";
import { WALK_MAX_ROWS, WALK_MIN_SPLITS } from "../src/compiled/walk.js";
import { NativeEngine } from "../src/engines/native.js";
import { WasmEngine } from "../src/engines/wasm/index.js";
import { buildLayout } from "../src/model-text/layout.js";
import { parseModel } from "../src/model-text/parse.js";
import { loadBinding } from "../src/native/binding.js";
import { mulberry32 } from "../src/train/prng.js";
import { byBatches, byRows } from "./helpers/forest-rows.js";
import { oneTreeModel } from "./helpers/one-tree-model.js";
import { walkable } from "./helpers/walkable.js";
import { firstNotIdentical, loadZoo, probeRow, zooNames } from "./js-fixtures.js";

function expectIdentical(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  const i = firstNotIdentical(actual, expected);
  expect(i, `${what}: first difference at ${i}: ${actual[i]} vs LightGBM ${expected[i]}`).toBe(-1);
}

describe.each(zooNames())("the walk forced on zoo model %s", (name) => {
  const c = loadZoo(name);
  const model = parseModel(c.modelText);
  const layout = buildLayout(model);
  const forest = CompiledForest.fromModel(model, layout, { walk: "always" });
  const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 1, compiled: false });
  const k = model.numTreePerIteration;
  afterAll(() => lightgbm.dispose());

  it("is built unless the model has linear leaves or a category over 31", () => {
    expect(forest.info.hasWalk).toBe(walkable(layout));
    expect(CompiledForest.fromModel(model, layout, { walk: "never" }).info.hasWalk).toBe(false);
  });

  it("single rows and batches of 1 to 33 rows: LightGBM's raw scores", () => {
    const want = lightgbm.predict(c.X, c.nrow, { type: "raw" });
    expectIdentical(byRows(forest, c.X, c.nrow, c.ncol, k), want, "single rows");
    for (const size of [1, 2, 7, 8, 9, WALK_MAX_ROWS, WALK_MAX_ROWS + 1])
      expectIdentical(byBatches(forest, c.X, c.nrow, c.ncol, k, size), want, `batches of ${size}`);
  });

  it("matches LightGBM on random rows (fast-check)", () => {
    const row = probeRow({ info: { numFeatures: c.ncol }, model });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: WALK_MAX_ROWS }), (rows) => {
        const X = Float64Array.from(rows.flat());
        const want = lightgbm.predict(X, rows.length, { type: "raw" });
        expectIdentical(byBatches(forest, X, rows.length, c.ncol, k, rows.length), want, "batch");
        expectIdentical(byRows(forest, X, rows.length, c.ncol, k), want, "single rows");
      }),
      { numRuns: 40, seed: 20261202 },
    );
  });
});

/** A model trained here through LightGBM's C API (the addon), on seeded synthetic rows. */
function train(params: string, rounds: number, ncol: number, nrow: number, classes = 2) {
  const { Dataset, Booster } = loadBinding();
  const rand = mulberry32(17);
  const categorical = params.includes("categorical_feature");
  const X = new Float64Array(nrow * ncol);
  for (let i = 0; i < X.length; i++) {
    const f = i % ncol;
    const r = rand();
    // a few features with NaNs, a few with exact zeros; with categorical_feature=0,1 those two hold
    // categories 0 .. 29
    X[i] =
      categorical && f < 2
        ? Math.floor(rand() * 30)
        : f % 5 === 1 && r < 0.08
          ? Number.NaN
          : f % 5 === 2 && r < 0.2
            ? 0
            : rand() * 10 - 5;
  }
  const y = new Float64Array(nrow);
  for (let r = 0; r < nrow; r++) {
    const x = (f: number) => (Number.isNaN(X[r * ncol + f]) ? 0 : X[r * ncol + f]);
    const s = categorical
      ? ((x(0) * 7) % 11) / 3 - 1.5 + (x(1) % 3 === 0 ? 1 : -0.5) + x(2) * x(3) * 0.3 + rand()
      : Math.sin(x(0)) * x(1) + x(2) * x(3) - (x(4) > 1 ? 2 : 0) + Math.cos(x(5) * x(6)) + rand();
    y[r] =
      classes === 2 ? (s > 0 ? 1 : 0) : Math.min(classes - 1, Math.max(0, Math.floor(s / 3 + classes / 2)));
  }
  const ds = new Dataset(X, nrow, ncol, params);
  ds.setField("label", y);
  const booster = new Booster("train", ds, params);
  for (let i = 0; i < rounds; i++) booster.updateOneIter();
  const text = booster.saveModelToString(0, -1, 0);
  booster.dispose();
  ds.dispose();
  return { text, X, nrow, ncol };
}

const common =
  "num_leaves=127 min_data_in_leaf=3 max_bin=255 verbose=-1 seed=1 num_threads=1 deterministic=true";
const trained = [
  ["binary, NaN missing", `objective=binary ${common}`, 80, 1],
  ["binary, zero as missing", `objective=binary zero_as_missing=true ${common}`, 80, 1],
  ["multiclass (3), a last group of 7 trees", `objective=multiclass num_class=3 ${common}`, 29, 3],
  [
    "binary, categorical features (categories 0 .. 29)",
    `objective=binary categorical_feature=0,1 ${common}`,
    80,
    1,
  ],
] as const;

describe.each(trained)("the walk by default on a big model: %s", (_name, params, rounds, k) => {
  const m = train(params, rounds, 20, 6000, k === 1 ? 2 : k);
  const model = parseModel(m.text);
  const layout = buildLayout(model);
  const lightgbm = NativeEngine.fromString(m.text, { numThreads: 1, compiled: false });
  const native = NativeEngine.fromString(m.text, { numThreads: 2 });
  const wasm = WasmEngine.fromString(m.text);
  // the native engine with each walk kernel this CPU runs (the addon's AVX-512 and AVX2 ones, WebAssembly)
  const kernels = [...loadBinding().TableWalk.isas(), "wasm" as const].map((walkKernel) =>
    NativeEngine.fromString(m.text, { numThreads: 1, walkKernel }),
  );
  afterAll(() => {
    lightgbm.dispose();
    native.dispose();
    wasm.dispose();
    for (const e of kernels) e.dispose();
  });
  const n = 300;
  // the training rows, with some values no category holds (NaN, negative, over 31) in categorical columns
  const X = m.X.slice(0, n * m.ncol);
  if (params.includes("categorical_feature"))
    for (let r = 0; r < n; r += 7) X[r * m.ncol + (r % 2)] = [Number.NaN, -1, -0.5, 35, 31.5, 2 ** 31][r % 6];

  it("is big enough to get the walk", () => {
    expect(layout.feat.length).toBeGreaterThanOrEqual(WALK_MIN_SPLITS);
    expect(CompiledForest.fromModel(model, layout).info.hasWalk).toBe(true);
    expect(model.numTreePerIteration).toBe(k);
    expect(layout.anyCategorical).toBe(params.includes("categorical_feature"));
    // 8 trees a group: the multiclass model's last group has 7 (29 iterations x 3 classes)
    expect(layout.numTrees % 8).toBe(k === 3 ? 7 : 0);
    expect(native.walkKernel).toBe(loadBinding().TableWalk.isas()[0] ?? "wasm");
    expect(kernels.map((e) => e.walkKernel)).toEqual([...loadBinding().TableWalk.isas(), "wasm"]);
  });

  it("native and wasm engines: single rows and small batches are LightGBM's, raw and normal", () => {
    for (const type of ["raw", "normal"] as const) {
      const want = lightgbm.predict(X, n, { type });
      const width = want.length / n;
      for (const engine of [native, wasm, ...kernels]) {
        const rows = new Float64Array(want.length);
        for (let r = 0; r < n; r++)
          rows.set(engine.predictRow(X.subarray(r * m.ncol, (r + 1) * m.ncol), { type }), r * width);
        const what = `${engine.name}${engine instanceof NativeEngine ? ` (${engine.walkKernel})` : ""} ${type}`;
        expectIdentical(rows, want, `${what} single rows`);
        for (const size of [1, 10, WALK_MAX_ROWS, 100]) {
          const got = new Float64Array(want.length);
          for (let r0 = 0; r0 < n; r0 += size) {
            const rowsIn = Math.min(size, n - r0);
            got.set(
              engine.predict(X.subarray(r0 * m.ncol, (r0 + rowsIn) * m.ncol), rowsIn, { type }),
              r0 * width,
            );
          }
          expectIdentical(got, want, `${what} batches of ${size}`);
        }
      }
    }
  });

  it("the walk, the if/else code and threads give the same bits", async () => {
    const never = CompiledForest.fromModel(model, layout, { walk: "never" });
    const walked = CompiledForest.fromModel(model, layout);
    const a = new Float64Array(n * k);
    const b = new Float64Array(n * k);
    never.predict(X, n, a);
    expectIdentical(byBatches(walked, X, n, m.ncol, k, 5), a, "walk vs if/else");
    expectIdentical(native.predict(X, n, { type: "raw" }), a, "native, 2 threads");
    walked.predict(X, n, b);
    expectIdentical(b, a, "a batch over WALK_MAX_ROWS (if/else)");
    // an async threaded call in flight while single rows take the walk on this thread
    const pending = native.predictAsync(X, n, { type: "raw" });
    expectIdentical(
      native.predict(X.subarray(0, 10 * m.ncol), 10, { type: "raw" }),
      a.subarray(0, 10 * k),
      "sync",
    );
    expectIdentical(await pending, a, "async beside the walk");
  });
});

describe("the walk option", () => {
  const c = loadZoo("binary");
  it("WasmEngine takes auto, always and never, with the same bits, and refuses anything else", () => {
    const X = c.X.subarray(0, 10 * c.ncol);
    const want = WasmEngine.fromString(c.modelText).predict(X, 10, { type: "raw" });
    for (const walk of ["auto", "always", "never"] as const) {
      const e = WasmEngine.fromString(c.modelText, { walk });
      expect(e.walks).toBe(walk === "always");
      expectIdentical(e.predict(X, 10, { type: "raw" }), want, walk);
      e.dispose();
    }
    expect(() => WasmEngine.fromString(c.modelText, { walk: "yes" as "auto" })).toThrow(/walk must be/);
  });
});

describe("the walk on odd trees", () => {
  const rows = () => {
    const X = new Float64Array(2 * 400);
    for (let r = 0; r < 400; r++) {
      X[2 * r] = r % 7 === 0 ? Number.NaN : r % 11 === 0 ? 0 : ((r * 7.3) % 1600) - 100;
      X[2 * r + 1] = (r % 13) - 6;
    }
    return X;
  };
  const check = (text: string, hasWalk: boolean) => {
    const model = parseModel(text);
    const layout = buildLayout(model);
    const forest = CompiledForest.fromModel(model, layout, { walk: "always" });
    expect(forest.info.hasWalk).toBe(hasWalk);
    const lightgbm = NativeEngine.fromString(text, { numThreads: 1, compiled: false });
    const X = rows();
    const want = lightgbm.predict(X, 400, { type: "raw" });
    lightgbm.dispose();
    expectIdentical(byRows(forest, X, 400, 2, 1), want, "single rows");
    expectIdentical(byBatches(forest, X, 400, 2, 1, 7), want, "batches of 7");
  };

  it("a 1,000-deep chain (every missing-value kind): LightGBM's raw scores", () => {
    const n = 1000;
    const idx = Array.from({ length: n }, (_, i) => i);
    check(
      oneTreeModel({
        split: idx.map((i) => i % 2),
        threshold: idx.map((i) => (i % 2 === 0 ? n - i - 100 : (i % 9) - 4)),
        decision: idx.map((i) => [0, 2, 8, 10, 4][i % 5]),
        left: idx.map((i) => -(i + 1)),
        right: idx.map((i) => (i + 1 < n ? i + 1 : -(n + 1))),
      }),
      true,
    );
  });

  it("a tree whose children lie beyond a 16-bit offset goes without the walk, same bits", () => {
    // root: left a complete tree of 8,191 splits (16,383 entries), right one split: that split's children
    // are allocated after the whole left subtree, more than 65,535 bytes from it
    const inner = 8191;
    const n = inner + 2;
    const split = Array.from({ length: n }, (_, i) => i % 2);
    const threshold = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1500 - (i % 1700) : (i % 9) - 4));
    const decision = Array.from({ length: n }, (_, i) => [0, 2, 8, 10][i % 4]);
    // heap order: node h (1 .. inner) has children 2h and 2h + 1, leaves from 2h >= inner + 1
    const child = (c: number) => (c <= inner ? c : -(c - inner - 1) - 1);
    const left = Array.from({ length: n }, (_, h) =>
      h === 0 ? 1 : h === n - 1 ? -(inner + 2) : child(2 * h),
    );
    const right = Array.from({ length: n }, (_, h) =>
      h === 0 ? n - 1 : h === n - 1 ? -(inner + 3) : child(2 * h + 1),
    );
    check(oneTreeModel({ split, threshold, decision, left, right }), false);
  });
});
