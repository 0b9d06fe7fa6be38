// Training options through the real C API: parameter checks, LightGBM's own errors, early stopping,
// determinism, other objectives and encodings, weights, progress.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import type { NativeEngine } from "../src/engines/native.js";
import { LightGBMError, ValidationError } from "../src/errors.js";
import { type TrainOptions, train } from "../src/train/train.js";

const data = join(import.meta.dirname, "../models/hr-attrition/data/hr.csv");
/** Every 5th row of hr.csv as typed records (3,000 rows: fast). */
const records = (parse(readFileSync(data), { columns: true }) as Record<string, string>[])
  .filter((_, i) => i % 5 === 0)
  .map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, k === "sales" || k === "salary" ? v : Number(v)]),
    ),
  );
const base: TrainOptions = {
  target: "left",
  categorical: ["sales", "salary"],
  params: { num_threads: 1, num_iterations: 10 },
};

async function modelText(options: TrainOptions): Promise<string> {
  const m = await train(records, options);
  try {
    return (m.engine as NativeEngine).toString();
  } finally {
    m.dispose();
  }
}

describe("parameters", () => {
  it("refuses keys and values that could inject into LightGBM's config string", async () => {
    const cases: Record<string, string | number>[] = [
      { "num_leaves 2": 3 },
      { objective: "binary num_threads=64" },
      { objective: "binary\nnum_threads" },
      { "a=b": 1 },
      { learning_rate: "0.1=x" },
      { "": 1 },
    ];
    for (const params of cases) {
      const err = await train(records, { ...base, params }).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toMatch(/whitespace or '='/);
    }
  });

  it("an unknown objective or a bad value is LightGBM's own message as a LightGBMError", async () => {
    const err = await train(records, { ...base, params: { objective: "astrology" } }).catch((e) => e);
    expect(err).toBeInstanceOf(LightGBMError);
    expect(err.message).toMatch(/astrology/);
    const bad = await train(records, { ...base, params: { num_leaves: "many" } }).catch((e) => e);
    expect(bad).toBeInstanceOf(LightGBMError);
    expect(bad.message).toMatch(/num_leaves/);
  });

  it("passes parameters through: they are in the model and in the spec", async () => {
    const m = await train(records, {
      ...base,
      params: { ...base.params, num_leaves: 7, learning_rate: 0.2 },
    });
    try {
      expect(m.spec.training?.params).toMatchObject({ num_leaves: "7", learning_rate: "0.2", verbose: "-1" });
      const text = (m.engine as NativeEngine).toString();
      expect(text).toContain("[num_leaves: 7]");
      expect(text).toContain("[learning_rate: 0.2]");
    } finally {
      m.dispose();
    }
  });
});

describe("the boosting loop", () => {
  it("early stopping stops, keeps the best iteration's trees and records it", async () => {
    const seen: number[] = [];
    const m = await train(records, {
      ...base,
      params: {
        num_threads: 1,
        num_iterations: 1000,
        learning_rate: 0.5,
        num_leaves: 63,
        min_data_in_leaf: 1,
      },
      earlyStopping: 5,
      onIteration: (p) => {
        seen.push(p.iteration);
        expect(p.total).toBe(1000);
        expect(p.metric?.name).toBe("binary_logloss");
      },
    });
    try {
      const es = m.spec.training!.earlyStopping!;
      expect(seen.length).toBeLessThan(1000);
      expect(seen.length).toBe(es.bestIteration + 5);
      expect(m.info.numIterations).toBe(es.bestIteration);
      expect(m.spec.training?.iterations).toBe(es.bestIteration);
      expect(es).toMatchObject({ rounds: 5, metric: "binary_logloss" });
    } finally {
      m.dispose();
    }
  });

  it("is deterministic for a seed; the seed changes the split", async () => {
    const a = await modelText({ ...base, seed: 7 });
    expect(await modelText({ ...base, seed: 7 })).toBe(a);
    expect(await modelText({ ...base, seed: 8 })).not.toBe(a);
  });

  it("checks its options", async () => {
    await expect(train(records, { ...base, target: "nope" })).rejects.toThrow(/no column "nope"/);
    await expect(train(records, { ...base, validFraction: 0, earlyStopping: 3 })).rejects.toThrow(RangeError);
    await expect(
      train(records, { ...base, encoding: "native", unknownCategories: "ignore" }),
    ).rejects.toThrow(/error, missing with native/);
    await expect(train(records, { ...base, validFraction: 1 })).rejects.toThrow(RangeError);
  });
});

describe("objectives, encodings, weights", () => {
  it("multiclass on text labels: classes in the spec, labels in results, multiclass metrics", async () => {
    const m = await train(records, {
      target: "salary",
      categorical: ["sales"],
      params: { num_threads: 1, num_iterations: 5 },
    });
    try {
      expect(m.spec.task).toBe("multiclass");
      expect(m.spec.target).toEqual({ name: "salary", classes: ["high", "low", "medium"] });
      expect(m.spec.training?.params.objective).toBe("multiclass");
      expect(Object.keys(m.spec.training!.metrics)).toEqual(["multi_logloss", "accuracy"]);
      const { salary: _, ...rec } = records[0];
      const r = m.predict(rec) as { prediction: string; probabilities: number[] };
      expect(["high", "low", "medium"]).toContain(r.prediction);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(r.prediction).toBe(
        ["high", "low", "medium"][r.probabilities.indexOf(Math.max(...r.probabilities))],
      );
      expect(m.spec.reference?.prediction?.kind).toBe("category");
    } finally {
      m.dispose();
    }
  });

  it("regression: { value } results and rmse/mae/r2", async () => {
    const m = await train(records, {
      target: "average_montly_hours",
      categorical: ["sales", "salary"],
      params: { num_threads: 1, num_iterations: 5 },
    });
    try {
      expect(m.spec.task).toBe("regression");
      expect(Object.keys(m.spec.training!.metrics)).toEqual(["rmse", "mae", "r2"]);
      const { average_montly_hours: _, ...rec } = records[0];
      expect(Object.keys(m.predict(rec))).toEqual(["value"]);
    } finally {
      m.dispose();
    }
  });

  it("native categoricals: codes in one column, categorical_feature set, unknown values as missing", async () => {
    const m = await train(records, {
      ...base,
      encoding: "native",
      unknownCategories: "missing",
    });
    try {
      const sales = m.spec.fields.find((f) => f.name === "sales")!;
      expect(sales).toMatchObject({
        type: "category",
        unknown: "missing",
        encoding: { kind: "native", column: "sales" },
      });
      expect(m.spec.columns).toHaveLength(9);
      expect(m.spec.training?.params.categorical_feature).toBe("7,8");
      const rec = { ...records[0], sales: "accounting" };
      const { data } = m.encode([rec, { ...rec, sales: "astronaut" }]);
      expect(data[7]).toBe(2); // index of "accounting" in the sorted values
      expect(data[9 + 7]).toBeNaN();
      expect((m.engine as NativeEngine).toString()).toMatch(/\[categorical_feature: 7,8\]/);
    } finally {
      m.dispose();
    }
  });

  it("weights change the model and are recorded", async () => {
    const weighted = records.map((r, i) => ({ ...r, w: i % 3 === 0 ? 5 : 1 }));
    const m = await train(weighted, { ...base, weight: "w" });
    try {
      expect(m.spec.training?.weight).toBe("w");
      expect(m.spec.fields.some((f) => f.name === "w")).toBe(false);
      expect((m.engine as NativeEngine).toString()).not.toBe(await modelText(base));
    } finally {
      m.dispose();
    }
  });
});
