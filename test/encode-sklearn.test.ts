// The encoder's layout equals scikit-learn's OneHotEncoder (handle_unknown="ignore") for the same data,
// fields expanded in place (fixture: test/fixtures/make_encoder_fixture.py), and the drift/metric
// helpers equal scikit-learn's metrics.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accuracy,
  auc,
  binOf,
  logLoss,
  multiLogLoss,
  numericStats,
  regressionMetrics,
} from "../src/bundle/stats.js";
import type { Model } from "../src/model.js";
import { train } from "../src/train/train.js";

const dir = join(import.meta.dirname, "fixtures/encoder");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
const records = JSON.parse(readFileSync(join(dir, "records.json"), "utf8"));

let model: Model;
beforeAll(async () => {
  model = await train(join(dir, "train.csv"), {
    target: "label",
    categorical: ["color", "city"],
    unknownCategories: "ignore",
    validFraction: 0,
    params: { num_iterations: 2, min_data_in_leaf: 5, num_threads: 1 },
  });
});
afterAll(() => model.dispose());

describe("encoder layout", () => {
  it("infers the fields and sorts categories as scikit-learn does (code point order)", () => {
    expect(model.spec.fields.map((f) => f.name)).toEqual(expected.fields);
    for (const [name, cats] of Object.entries(expected.categories)) {
      const f = model.spec.fields.find((x) => x.name === name)!;
      expect(f.type === "category" && f.values).toEqual(cats);
    }
    expect(model.spec.fields.map((f) => f.type)).toEqual([
      "number",
      "category",
      "integer",
      "boolean",
      "category",
      "number",
    ]);
    // LightGBM-safe names: "color_a b" becomes "color_a_b"; everything else as scikit-learn names it.
    expect(model.spec.columns).toEqual(expected.columns.map((c: string) => c.replace(/\s/g, "_")));
    expect(model.info.featureNames).toEqual(model.spec.columns);
  });

  it("encodes records into scikit-learn's matrix (unknown categories: all zeros; null numbers: NaN)", () => {
    const { data, nrow } = model.encode(records);
    expect(nrow).toBe(records.length);
    const got = Array.from({ length: nrow }, (_, r) =>
      Array.from(data.subarray(r * model.info.numFeatures, (r + 1) * model.info.numFeatures), (v) =>
        Number.isNaN(v) ? null : v,
      ),
    );
    expect(got).toEqual(expected.matrix);
  });

  it("encodes columnar input to the same matrix", () => {
    const columnar: Record<string, unknown[]> = {};
    for (const f of expected.fields) columnar[f] = records.map((r: Record<string, unknown>) => r[f]);
    expect(model.encode(columnar).data).toEqual(model.encode(records).data);
  });

  it("one record through the single-row path equals the batch path", () => {
    const batch = model.predict(model.encode(records).data);
    records.forEach((r: Record<string, unknown>, i: number) => {
      const one = model.predict(r) as { probability: number };
      expect(one.probability).toBe(batch[i]);
    });
  });
});

describe("metrics equal scikit-learn's", () => {
  const m = expected.metrics;
  it("binary: roc_auc_score (with ties), log_loss, accuracy", () => {
    expect(auc(m.binary.labels, m.binary.scores)).toBeCloseTo(m.binary.auc, 14);
    expect(logLoss(m.binary.labels, m.binary.scores)).toBeCloseTo(m.binary.logloss, 14);
    expect(accuracy(m.binary.labels, m.binary.scores, 1)).toBeCloseTo(m.binary.accuracy, 14);
  });
  it("multiclass: log_loss, accuracy", () => {
    const probs = m.multiclass.probs.flat();
    expect(multiLogLoss(m.multiclass.labels, probs, 3)).toBeCloseTo(m.multiclass.logloss, 14);
    expect(accuracy(m.multiclass.labels, probs, 3)).toBeCloseTo(m.multiclass.accuracy, 14);
  });
  it("regression: rmse, mae, r2", () => {
    const r = regressionMetrics(m.regression.labels, m.regression.preds);
    expect(r.rmse).toBeCloseTo(m.regression.rmse, 14);
    expect(r.mae).toBeCloseTo(m.regression.mae, 14);
    expect(r.r2).toBeCloseTo(m.regression.r2, 14);
  });
});

describe("quantile bins", () => {
  it("shares count every value once, in the bin binOf assigns, and missing values apart", () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? Number.NaN : (i * 37) % 101));
    const s = numericStats(values);
    expect(s.edges.length).toBeLessThanOrEqual(9);
    expect(s.shares).toHaveLength(s.edges.length + 1);
    const counts = new Array(s.shares.length).fill(0);
    let missing = 0;
    for (const v of values) {
      if (Number.isNaN(v)) missing++;
      else counts[binOf(s.edges, v)]++;
    }
    expect(s.shares).toEqual(counts.map((c) => Number((c / 1000).toPrecision(6))));
    expect(s.missingShare).toBe(missing / 1000);
    for (const share of s.shares) expect(share).toBeGreaterThan(0.05); // roughly deciles
  });
  it("a constant column is one bin", () => {
    expect(numericStats(new Float64Array(50).fill(3))).toEqual({
      kind: "numeric",
      edges: [],
      shares: [1],
      missingShare: 0,
    });
  });
});
