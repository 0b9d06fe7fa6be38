// The shipped hr-attrition bundle and the Model record API: predictions equal LightGBM Python's on all
// 14,999 rows (fixture), explanations add up, spec.json is validated, bare model.txt files still load.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSpec, stringifySpec } from "../src/bundle/spec.js";
import { ValidationError } from "../src/errors.js";
import { Model } from "../src/model.js";
import { LIBM_EXACT, NORMAL_TOLERANCE } from "./helpers/libm.js";
import { HR_RECORD } from "./helpers/records.js";
import { loadZooCase } from "./helpers/zoo.js";

const root = join(import.meta.dirname, "..");
const bundle = join(root, "models/hr-attrition");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-bundle-"));
const good = { ...HR_RECORD, sales: "support" };

/** hr.csv as records with typed values, as a JSON client would send them (plus the target column). */
function hrRecords(): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(bundle, "data/hr.csv")), { columns: true }) as Record<
    string,
    string
  >[];
  return rows.map((r) => {
    const rec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) rec[k] = k === "sales" || k === "salary" ? v : Number(v);
    return rec;
  });
}

let model: Model<"binary">;
beforeAll(async () => {
  model = await Model.load(bundle, { task: "binary" });
});
afterAll(() => model.dispose());

describe("the shipped bundle", () => {
  it("predicts all 14,999 rows as LightGBM Python does on the same model.txt and encoded matrix", async () => {
    const expected = readFileSync(join(root, "test/fixtures/hr/predictions.txt"), "utf8")
      .trim()
      .split("\n")
      .map(Number);
    const records = hrRecords();
    const results = model.predict(records);
    expect(results).toHaveLength(14999);
    let worst = 0;
    for (let i = 0; i < results.length; i++) {
      worst = Math.max(worst, Math.abs(results[i].probability - expected[i]));
      expect(results[i].prediction).toBe(expected[i] >= 0.5 ? 1 : 0);
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
    // The async path and the one-record path give the same numbers.
    const again = await model.predictAsync(records.slice(0, 500));
    expect(again).toEqual(results.slice(0, 500));
    for (const i of [0, 1, 4321, 14998]) expect(model.predict(records[i])).toEqual(results[i]);
  });

  it("works the same on the pure TypeScript engine (glibc's exp in TypeScript: LightGBM's bits here)", async () => {
    const js = await Model.load(bundle, { engine: "js", task: "binary" });
    try {
      expect(js.engine.name).toBe("js");
      const records = hrRecords().slice(0, 200);
      const a = model.predict(records);
      const b = js.predict(records);
      if (LIBM_EXACT) expect(b).toEqual(a);
      for (const [i, r] of b.entries()) {
        expect(r.prediction).toBe(a[i].prediction);
        expect(Math.abs(r.probability - a[i].probability)).toBeLessThanOrEqual(
          NORMAL_TOLERANCE * a[i].probability,
        );
      }
      expect(js.explain(good).contributions.map((c) => c.field)).toEqual(
        model.explain(good).contributions.map((c) => c.field),
      );
    } finally {
      js.dispose();
    }
  });

  it("has the spec it was trained with", () => {
    const s = model.spec;
    expect(s.specVersion).toBe(1);
    expect(s.task).toBe("binary");
    expect(s.target).toEqual({ name: "left" });
    expect(s.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      "satisfaction_level:number",
      "last_evaluation:number",
      "number_project:integer",
      "average_montly_hours:integer",
      "time_spend_company:integer",
      "Work_accident:boolean",
      "promotion_last_5years:boolean",
      "sales:category",
      "salary:category",
    ]);
    expect(s.columns).toEqual(model.info.featureNames);
    expect(s.training?.lightgbmVersion).toBe("4.7.0");
    expect(s.training?.data).toMatchObject({
      file: "hr.csv",
      rows: 14999,
      trainRows: 11999,
      validRows: 3000,
    });
    expect(Object.keys(s.training?.metrics ?? {})).toEqual(["auc", "logloss", "accuracy"]);
    expect(s.training?.params).toMatchObject({ objective: "binary", seed: "42", deterministic: "true" });
    for (const f of s.fields) {
      const stats = s.reference!.fields[f.name];
      const total = (stats.kind === "numeric" ? stats.shares : Object.values(stats.shares)).reduce(
        (a, b) => a + b,
        0,
      );
      expect(total + stats.missingShare).toBeCloseTo(1, 4);
    }
    expect(s.reference?.prediction?.kind).toBe("numeric");
    expect(JSON.stringify(s)).not.toMatch(/\/work|\/tmp|20\d\d-\d\d-\d\d/); // no paths, no timestamps
  });

  it("explains a record per field, one-hot columns summed, adding up to the raw score", () => {
    const e = model.explain(good);
    expect(e.contributions.map((c) => c.field).sort()).toEqual(Object.keys(good).sort());
    const abs = e.contributions.map((c) => Math.abs(c.value));
    expect(abs).toEqual([...abs].sort((a, b) => b - a));
    const raw = model.predict(model.encode([good]).data, { type: "raw" })[0];
    const sum = e.contributions.reduce((a, c) => a + c.value, e.baseValue);
    expect(sum).toBeCloseTo(raw, 10);
    // The per-column contributions of the sales one-hot block sum to the field's contribution.
    const contrib = model.predict(model.encode([good]).data, { type: "contrib" });
    const salesCols = model.spec.columns.flatMap((c, i) => (c.startsWith("sales_") ? [i] : []));
    const sales = salesCols.reduce((a, i) => a + contrib[i], 0);
    expect(e.contributions.find((c) => c.field === "sales")!.value).toBeCloseTo(sales, 12);
  });

  it("gives a zod schema and a JSON Schema of one record", () => {
    const { zod, jsonSchema } = model.schema;
    expect(zod.safeParse(good).success).toBe(true);
    expect(zod.safeParse({ ...good, salary: "astronaut" }).success).toBe(false);
    const props = jsonSchema.properties as Record<string, Record<string, unknown>>;
    expect(props.salary.enum).toEqual(["high", "low", "medium"]);
    expect(props.number_project.type).toBe("integer");
    expect(jsonSchema.required).toEqual(Object.keys(good));
  });

  it("keeps the matrix API: Float64Array and arrays of rows give flat outputs", () => {
    const { data } = model.encode([good, good]);
    const rows = [Array.from(data.subarray(0, 20)), Array.from(data.subarray(20))];
    expect(model.predict(rows)).toEqual(model.predict(data));
    expect(model.predict(data)[0]).toBe(model.predict(good).probability);
    expect(() => model.predict(good, { type: "raw" } as never)).toThrow(TypeError);
  });
});

describe("bare model.txt and spec.json checks", () => {
  it("a bare model.txt loads with its feature names as nullable numeric fields (infinities allowed)", async () => {
    const c = loadZooCase("binary");
    const bare = await Model.load(c.modelFile);
    try {
      expect(bare.spec.fields).toEqual(
        bare.info.featureNames.map((name) => ({ name, type: "number", nullable: true, infinite: true })),
      );
      expect(bare.spec.fields).toHaveLength(6);
      const rec: Record<string, unknown> = {};
      bare.info.featureNames.forEach((n, i) => {
        rec[n] = Number.isNaN(c.X[i]) ? null : c.X[i];
      });
      expect(bare.predict(rec)).toEqual({
        prediction: c.expected.normal![0] >= 0.5 ? 1 : 0,
        probability: c.expected.normal![0],
      });
    } finally {
      bare.dispose();
    }
  });

  it("multiclass and regression results are named; multiclass explanations are per class", async () => {
    for (const name of ["multiclass", "regression"]) {
      const c = loadZooCase(name);
      const m = await Model.load(c.modelFile);
      try {
        const recs = Array.from({ length: 3 }, (_, r) =>
          Object.fromEntries(
            m.info.featureNames.map((n, i) => [
              n,
              Number.isNaN(c.X[r * c.ncol + i]) ? null : c.X[r * c.ncol + i],
            ]),
          ),
        );
        const results = m.predict(recs);
        const k = m.info.numClasses;
        results.forEach((res, r) => {
          if (name === "regression") expect(res).toEqual({ value: c.expected.normal![r] });
          else {
            const probs = Array.from(c.expected.normal!.subarray(r * k, (r + 1) * k));
            expect(res).toEqual({ prediction: probs.indexOf(Math.max(...probs)), probabilities: probs });
          }
        });
        const e = m.explain(recs[0]);
        if (name === "multiclass") {
          if (!("classes" in e)) throw new Error("expected per-class explanations");
          expect(e.classes.map((x) => x.class)).toEqual(Array.from({ length: k }, (_, i) => i));
          const raw = m.predict(m.encode(recs.slice(0, 1)).data, { type: "raw" });
          e.classes.forEach((x, i) => {
            expect(x.contributions.reduce((a, b) => a + b.value, x.baseValue)).toBeCloseTo(raw[i], 10);
          });
        } else expect("baseValue" in e).toBe(true);
      } finally {
        m.dispose();
      }
    }
  });

  it("validates spec.json on load, naming the path and the problem", async () => {
    const spec = JSON.parse(readFileSync(join(bundle, "spec.json"), "utf8"));
    const write = (name: string, text: string) => {
      const dir = join(tmp, name);
      mkdirSync(dir, { recursive: true });
      copyFileSync(join(bundle, "model.txt"), join(dir, "model.txt"));
      writeFileSync(join(dir, "spec.json"), text);
      return dir;
    };
    const fails = async (dir: string) => {
      const err = await Model.load(dir).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    };
    expect((await fails(write("notjson", "{")))[0].message).toMatch(/is not valid JSON/);
    const wrongType = structuredClone(spec);
    wrongType.fields[2].type = "float";
    expect((await fails(write("type", JSON.stringify(wrongType))))[0].field).toMatch(/spec\.json\.fields\.2/);
    const typo = { ...spec, specVerison: 1 };
    expect(
      (await fails(write("typo", JSON.stringify(typo)))).some((i) => i.message.includes("specVerison")),
    ).toBe(true);
    const fewer = structuredClone(spec);
    fewer.fields[8].values.pop();
    fewer.fields[8].encoding.columns.pop();
    fewer.columns.pop();
    expect((await fails(write("mismatch", JSON.stringify(fewer))))[0].message).toBe(
      "has 19 columns but the model has 20 features",
    );
    const renamed = structuredClone(spec);
    renamed.columns[0] = "satisfaction";
    expect((await fails(write("renamed", JSON.stringify(renamed))))[0]).toMatchObject({
      field: expect.stringMatching(/columns\.0$/),
    });
    const otherTask = { ...spec, task: "regression" };
    expect((await fails(write("task", JSON.stringify(otherTask))))[0].message).toBe(
      "is regression but the model's objective binary is binary",
    );
    // The committed spec round-trips through the schema unchanged.
    expect(stringifySpec(parseSpec(readFileSync(join(bundle, "spec.json"), "utf8")))).toBe(
      readFileSync(join(bundle, "spec.json"), "utf8"),
    );
  });
});
