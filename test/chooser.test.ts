/**
 * The evaluator chooser (src/compiled/chooser.ts) on a simulated clock: each call advances it by its
 * evaluator's cost, so the choices are deterministic. Then a real forest with the walk by default: whatever
 * it chooses, single rows and batches are LightGBM's bits.
 */
import { describe, expect, it } from "vitest";
import { type Evaluator, EvaluatorChooser, IF_ELSE, WALK } from "../src/compiled/chooser.js";
import { CompiledForest } from "../src/compiled/forest.js";
import { NativeEngine } from "../src/engines/native.js";
import { buildLayout } from "../src/model-text/layout.js";
import { parseModel } from "../src/model-text/parse.js";
import { byBatches, byRows } from "./helpers/forest-rows.js";
import { chainForest } from "./helpers/one-tree-model.js";
import { firstNotIdentical } from "./js-fixtures.js";

/** A chooser on a clock that only the simulated calls (and the program's time between them) move. */
function simulate() {
  let t = 0;
  const chooser = new EvaluatorChooser(() => t);
  const used = [0, 0];
  /** `calls` calls of `rows` rows; cost(evaluator) in ms per row; `between` ms of the program's own time. */
  const run = (calls: number, rows: number, cost: (e: Evaluator) => number, between = 0) => {
    for (let i = 0; i < calls; i++) {
      const e = chooser.begin();
      used[e]++;
      t += cost(e) * rows;
      if (chooser.timed) chooser.end(rows);
      t += between;
    }
  };
  return { chooser, used, run };
}

describe("the evaluator chooser", () => {
  it("starts on the walk and moves to the if/else code when that is faster (rows seen again)", () => {
    const s = simulate();
    expect(s.chooser.current).toBe(WALK);
    s.run(200, 10, (e) => (e === WALK ? 0.005 : 0.0025));
    expect(s.chooser.current).toBe(IF_ELSE);
    expect(s.chooser.nsPerRow[WALK]).toBeCloseTo(5000, 3);
    expect(s.chooser.nsPerRow[IF_ELSE]).toBeCloseTo(2500, 3);
  });

  it("stays on the faster evaluator, and trying the other costs about 1% of the time", () => {
    const s = simulate();
    const cost = (e: Evaluator) => (e === WALK ? 0.0055 : 0.0135); // new rows: the walk 2.4x faster
    s.run(200_000, 10, cost);
    expect(s.chooser.current).toBe(WALK);
    const extra = s.used[IF_ELSE] * (cost(IF_ELSE) - cost(WALK));
    const total = s.used[WALK] * cost(WALK) + s.used[IF_ELSE] * cost(IF_ELSE);
    expect(extra / total).toBeLessThan(0.012);
    expect(s.used[IF_ELSE]).toBeGreaterThan(0); // it keeps trying
  });

  it("a 10% difference is needed to switch", () => {
    const s = simulate();
    s.run(50_000, 10, (e) => (e === WALK ? 0.005 : 0.0047));
    expect(s.chooser.current).toBe(WALK);
  });

  it("follows a change of rows within a second of the program's time", () => {
    const s = simulate();
    s.run(20_000, 10, (e) => (e === WALK ? 0.005 : 0.012));
    expect(s.chooser.current).toBe(WALK);
    // the rows start to repeat: the if/else code becomes 2x faster than the walk
    const before = s.used[IF_ELSE];
    let calls = 0;
    while (s.chooser.current !== IF_ELSE && calls < 1_000_000) {
      s.run(64, 10, (e) => (e === WALK ? 0.005 : 0.0025));
      calls += 64;
    }
    expect(s.chooser.current).toBe(IF_ELSE);
    // within a cycle: under 0.5 s of calls (at 0.025-0.05 ms a call) after the change
    expect(calls * 0.05).toBeLessThan(500);
    expect(s.used[IF_ELSE]).toBeGreaterThan(before);
  });

  it("times only the calls: the program's time between them is not counted", () => {
    const s = simulate();
    s.run(5_000, 10, (e) => (e === WALK ? 0.005 : 0.0025), 3); // 3 ms of other work after every call
    expect(s.chooser.current).toBe(IF_ELSE);
    expect(s.chooser.nsPerRow[WALK]).toBeCloseTo(5000, 3);
    expect(s.chooser.nsPerRow[IF_ELSE]).toBeCloseTo(2500, 3);
  });
});

describe("a forest that chooses (the walk by default)", () => {
  const text = chainForest(64, 128);
  const model = parseModel(text);
  const layout = buildLayout(model);

  it("chooses only with the walk by default; walk always and never fix the evaluator", () => {
    expect(CompiledForest.fromModel(model, layout).evaluators).toEqual({ row: "walk", batch: "walk" });
    expect(CompiledForest.fromModel(model, layout, { walk: "always" }).evaluators).toBeUndefined();
    expect(CompiledForest.fromModel(model, layout, { walk: "never" }).evaluators).toBeUndefined();
  });

  it("whatever it chooses, single rows and batches are LightGBM's bits", () => {
    const forest = CompiledForest.fromModel(model, layout);
    const lightgbm = NativeEngine.fromString(text, { numThreads: 1, compiled: false });
    const n = 40;
    const X = new Float64Array(2 * n);
    for (let i = 0; i < X.length; i++) X[i] = i % 9 === 0 ? Number.NaN : ((i * 37) % 160) - 80;
    const want = lightgbm.predict(X, n, { type: "raw" });
    lightgbm.dispose();
    // the same rows over and over: cycles of both evaluators on rows and batches (a cycle every 4,096 calls
    // at most), each compared
    for (let round = 0; round < 150; round++) {
      for (const got of [byRows(forest, X, n, 2, 1), byBatches(forest, X, n, 2, 1, 10)]) {
        const i = firstNotIdentical(got, want);
        expect(i, `round ${round}: row ${i}`).toBe(-1);
      }
    }
  });
});
