// DriftMonitor: the rolling window of bin counts, PSI/KS arithmetic, and the registry the server uses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSpec, type Spec } from "../src/bundle/spec.js";
import { binValue, compileStats, NoReferenceError } from "../src/drift/bins.js";
import { DriftMonitor, DriftRegistry } from "../src/drift/monitor.js";
import { binnedKs, psi } from "../src/drift/report.js";

const spec = parseSpec(readFileSync(join(import.meta.dirname, "../models/hr-attrition/spec.json"), "utf8"));

/** A small spec with hand-made reference statistics. */
const tiny: Spec = {
  specVersion: 1,
  task: "regression",
  fields: [
    { name: "x", type: "number", nullable: true },
    {
      name: "c",
      type: "category",
      nullable: true,
      values: ["a", "b"],
      unknown: "error",
      encoding: { kind: "onehot", columns: ["c_a", "c_b"] },
    },
  ],
  columns: ["x", "c_a", "c_b"],
  reference: {
    source: "test",
    rows: 100,
    fields: {
      x: { kind: "numeric", edges: [0, 1], shares: [0.25, 0.5, 0.25], missingShare: 0 },
      c: { kind: "category", shares: { a: 0.5, b: 0.5 }, missingShare: 0 },
    },
    prediction: { kind: "numeric", edges: [10], shares: [0.5, 0.5], missingShare: 0 },
  },
};

describe("drift statistics", () => {
  it("PSI matches the textbook formula; identical distributions give 0", () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const want = (0.7 - 0.5) * Math.log(0.7 / 0.5) + (0.3 - 0.5) * Math.log(0.3 / 0.5);
    expect(psi([0.5, 0.5], [0.7, 0.3])).toBeCloseTo(want, 12);
    // Empty bins are floored at 1e-4 instead of dividing by zero.
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true);
  });

  it("binned KS is the largest gap between the cumulative shares", () => {
    expect(binnedKs([0.25, 0.5, 0.25, 0, 0], [0.5, 0.5, 0, 0, 0], 3)).toBeCloseTo(0.25, 12);
    expect(binnedKs([1, 0], [0, 1], 2)).toBe(1);
  });

  it("bins values by the bundle's rule: the first edge >= v; unknown and missing bins", () => {
    const b = compileStats("x", tiny.reference!.fields.x);
    expect([-5, 0, 0.5, 1, 2].map((v) => binValue(b, v))).toEqual([0, 0, 1, 1, 2]);
    expect(binValue(b, "0.5")).toBe(1);
    expect(binValue(b, "abc")).toBe(3);
    expect([null, undefined, "", Number.NaN].map((v) => binValue(b, v))).toEqual([4, 4, 4, 4]);
    const c = compileStats("c", tiny.reference!.fields.c);
    expect(["a", "b", "z", null].map((v) => binValue(c, v))).toEqual([0, 1, 2, 3]);
  });
});

describe("DriftMonitor", () => {
  it("observeOne counts exactly what observe counts, record by record, across window advances", () => {
    const opts = { windowSize: 50, buckets: 5, thresholds: { minCount: 1 } };
    const batch = new DriftMonitor(tiny, opts);
    const one = new DriftMonitor(tiny, opts);
    const xs = [-1, 0.5, 2, null, Number.NaN, "0.7", "abc", true];
    const cs = ["a", "b", "z", null, 3];
    const records = Array.from({ length: 137 }, (_, i) => ({ x: xs[i % xs.length], c: cs[i % cs.length] }));
    const outputs = records.map((_, i) => (i % 3 === 0 ? { value: i % 20 } : i % 3 === 1 ? {} : null));
    batch.observe(records.slice(0, 100), outputs.slice(0, 90));
    batch.observe(records.slice(100), outputs.slice(100));
    records.forEach((r, i) => {
      one.observeOne(r, i < 90 || i >= 100 ? outputs[i] : undefined);
    });
    expect(one.rows).toBe(batch.rows);
    const { generatedAt: _a, ...a } = one.report();
    const { generatedAt: _b, ...b } = batch.report();
    expect(a).toEqual(b);
    expect(a.rows).toBe(47); // 4 full buckets of 10 and 7 in the newest
  });

  it("keeps a rolling window of fixed memory: old records leave the counts", () => {
    const m = new DriftMonitor(tiny, { windowSize: 1000, buckets: 10, thresholds: { minCount: 10 } });
    const bytes = m.memoryBytes;
    const normal = Array.from({ length: 1000 }, (_, i) => ({
      x: [-1, 0.5, 0.5, 2][i % 4],
      c: i % 2 ? "a" : "b",
    }));
    m.observe(
      normal,
      normal.map((_, i) => ({ value: i % 2 ? 5 : 15 })),
    );
    expect(m.rows).toBe(1000);
    const r1 = m.report();
    expect(r1.fields.every((f) => f.flag === "ok")).toBe(true);
    // A flood of shifted records replaces the window: only the newest ≤ 1000 records count.
    for (let k = 0; k < 50; k++) m.observe(Array.from({ length: 100 }, () => ({ x: 5, c: "b" })));
    expect(m.rows).toBeLessThanOrEqual(1000);
    expect(m.rows).toBeGreaterThanOrEqual(900);
    const r2 = m.report();
    expect(r2.fields.map((f) => [f.name, f.flag])).toEqual([
      ["x", "drift"],
      ["c", "drift"],
    ]);
    expect(r2.fields[0].bins[2].live).toBe(1);
    expect(m.memoryBytes).toBe(bytes);
    // And back: normal records push the shifted ones out again.
    for (let k = 0; k < 20; k++) m.observe(normal.slice(0, 100));
    expect(m.report().fields.every((f) => f.flag === "ok")).toBe(true);
    m.reset();
    expect(m.rows).toBe(0);
  });

  it("reports the prediction shift from outputs", () => {
    const m = new DriftMonitor(tiny, { windowSize: Infinity, thresholds: { minCount: 1 } });
    m.observe(
      Array.from({ length: 200 }, () => ({ x: 0.5, c: "a" })),
      Array.from({ length: 200 }, () => ({ value: 20 })),
    );
    const r = m.report();
    expect(r.prediction?.name).toBe("value");
    expect(r.prediction?.flag).toBe("drift");
    expect(r.prediction?.count).toBe(200);
  });

  it("few records never flag (minCount)", () => {
    const m = new DriftMonitor(spec);
    m.observe([{ satisfaction_level: 0, salary: "high" }]);
    expect(m.report().summary.drift).toBe(0);
  });

  it("needs reference statistics", () => {
    expect(() => new DriftMonitor({ ...tiny, reference: undefined })).toThrow(NoReferenceError);
  });

  it("DriftRegistry keeps one monitor per model and starts over when the spec changes", () => {
    const reg = new DriftRegistry({ windowSize: 100 });
    reg.observe("hr", spec, [{ satisfaction_level: 0.5 }]);
    reg.observe("tiny", tiny, [{ x: 1 }, { x: 2 }]);
    reg.observe("bare", { ...tiny, reference: undefined }, [{ x: 1 }]);
    expect(reg.models().sort()).toEqual(["hr", "tiny"]);
    expect(reg.get("tiny")?.rows).toBe(2);
    reg.observe("tiny", { ...tiny }, [{ x: 1 }]);
    expect(reg.get("tiny")?.rows).toBe(1);
    expect(Object.keys(reg.reports()).sort()).toEqual(["hr", "tiny"]);
  });
});
