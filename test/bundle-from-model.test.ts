// `lgbm bundle` / createBundle(): bundles from models trained in Python the usual ways, fed raw records
// (columns in another order than training, unseen categories, missing values), predicting exactly what
// the Python pipeline predicts. Ground truth: test/fixtures/make_notebook_fixture.py.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import type { CategoryFieldSpec, Spec } from "../src/bundle/spec.js";
import { createBundle } from "../src/bundle-builder/from-model.js";
import { recordReader } from "../src/drift/analyze.js";
import { ValidationError } from "../src/errors.js";
import { Model } from "../src/model.js";
import { post, start } from "./fixtures/server/helpers.js";
import { HR_RECORD } from "./helpers/records.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const fixtures = join(root, "test/fixtures/notebook");
const hrCsv = join(root, "models/hr-attrition/data/hr.csv");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-bundle-from-model-"));

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const spec = (dir: string): Spec => json(join(dir, "spec.json"));

async function lgbm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [bin, ...args], { maxBuffer: 16 << 20 });
}

async function lgbmFails(...args: string[]): Promise<string> {
  const err = (await lgbm(...args).then(
    () => undefined,
    (e) => e,
  )) as { code: number; stderr: string } | undefined;
  expect(err, `lgbm ${args.join(" ")} should fail`).toBeDefined();
  expect(err!.code).toBe(1);
  return err!.stderr;
}

/** `lgbm predict` on a bundle: the CSV lines after the header, split. */
async function predictCsv(bundle: string, input: string): Promise<{ header: string; rows: string[][] }> {
  const { stdout } = await lgbm("predict", "-m", bundle, "-i", input);
  const [header, ...lines] = stdout.trim().split("\n");
  return { header, rows: lines.map((l) => l.split(",")) };
}

describe("the classic recipe: ColumnTransformer(OneHotEncoder) + LGBMClassifier", () => {
  const dir = join(fixtures, "onehot");
  const out = join(tmp, "onehot");
  const expected = json(join(dir, "expected.json")) as {
    features: string[];
    proba: number[];
    predict: number[];
  };

  it("lgbm bundle recognises the one-hot groups (prefixed names, a value with _) and the passthrough columns", async () => {
    const { stderr } = await lgbm(
      "bundle",
      "--model",
      join(dir, "model.txt"),
      "--data",
      hrCsv,
      "--target",
      "left",
      "--unknown",
      "ignore",
      "--out",
      out,
    );
    expect(stderr).toMatch(
      /wrote .*: 9 fields \(7 numeric, 2 one-hot, 0 pandas categorical\) for 20 model features; metrics on the training data \(14999 rows of hr\.csv; --eval <csv> gives held-out metrics\): auc=/,
    );
    const s = spec(out);
    expect(s.columns).toEqual(expected.features);
    expect(s.fields.map((f) => f.name)).toEqual([
      "sales",
      "salary",
      "satisfaction_level",
      "last_evaluation",
      "number_project",
      "average_montly_hours",
      "time_spend_company",
      "Work_accident",
      "promotion_last_5years",
    ]);
    const sales = s.fields[0] as CategoryFieldSpec;
    expect(sales.values).toContain("product_mng");
    expect(sales.encoding).toEqual({ kind: "onehot", columns: expected.features.slice(0, 10) });
    expect(sales.unknown).toBe("ignore");
    expect(s.fields[2]).toEqual({
      name: "satisfaction_level",
      type: "number",
      nullable: true,
      range: [0.09, 1],
      infinite: true,
    });
    // Reference statistics for drift, metrics, and where the bundle came from.
    expect(Object.keys(s.reference!.fields)).toEqual(s.fields.map((f) => f.name));
    expect(s.reference!.fields.sales).toMatchObject({ kind: "category" });
    expect(s.reference!.fields.satisfaction_level).toMatchObject({ kind: "numeric" });
    expect(s.origin).toMatchObject({
      tool: "lgbm bundle",
      model: { file: "model.txt" },
      data: { file: "hr.csv", rows: 14999 },
      evaluation: { file: "hr.csv", rows: 14999 },
    });
    expect(s.origin!.params.objective).toBe("binary");
    expect(s.origin!.evaluation!.metrics.auc).toBeGreaterThan(0.95);
    // The model is copied byte for byte.
    expect(readFileSync(join(out, "model.txt"))).toEqual(readFileSync(join(dir, "model.txt")));
  });

  it("raw records, columns in another order, predict exactly the pipeline's predict_proba and predict", async () => {
    const { header, rows } = await predictCsv(out, join(dir, "records.csv"));
    expect(header).toBe("prediction,probability");
    expect(rows.map((r) => Number(r[1]))).toEqual(expected.proba);
    expect(rows.map((r) => Number(r[0]))).toEqual(expected.predict);
    // The SDK on the same records (as a JSON client sends them), and one at a time.
    const model = await Model.load(out);
    try {
      const recs = (
        parse(readFileSync(join(dir, "records.csv")), { columns: true }) as Record<string, string>[]
      ).map(recordReader(model.spec));
      expect(recs.some((r) => r.sales === "astronaut")).toBe(true);
      expect(recs.some((r) => r.satisfaction_level === null)).toBe(true);
      const results = model.predict(recs) as { probability: number; prediction: number }[];
      expect(results.map((r) => r.probability)).toEqual(expected.proba);
      recs.forEach((r, i) => {
        expect(model.predict(r)).toEqual({ prediction: expected.predict[i], probability: expected.proba[i] });
      });
    } finally {
      model.dispose();
    }
  });

  it("lgbm serve on the bundle: POST /predict/batch of the raw records answers predict_proba exactly", async () => {
    // The records as a JSON client sends them: the CSV's column order, typed values, null for missing,
    // the target riding along as an extra field.
    const model = await Model.load(out);
    const read = recordReader(model.spec);
    model.dispose();
    const rows = parse(readFileSync(join(dir, "records.csv")), { columns: true }) as Record<string, string>[];
    const records = rows.map((raw) => {
      const typed = read(raw);
      return Object.fromEntries(Object.keys(raw).map((k) => [k, k in typed ? typed[k] : Number(raw[k])]));
    });
    expect(Object.keys(records[0])).toEqual(Object.keys(rows[0]));
    expect(records.some((r) => r.sales === "astronaut" && r.left !== undefined)).toBe(true);
    expect(records.some((r) => r.satisfaction_level === null)).toBe(true);
    const srv = await start(out);
    try {
      const r = await post(srv.url, "/predict/batch", records);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const predictions = r.body.predictions as { prediction: number; probability: number }[];
      expect(predictions.map((p) => p.probability)).toEqual(expected.proba);
      expect(predictions.map((p) => p.prediction)).toEqual(expected.predict);
    } finally {
      await srv.close();
    }
  });

  it("like the pipeline, refuses a record without a column (422-style, naming it) and reads null as missing", async () => {
    const model = await Model.load(out);
    try {
      const rec = HR_RECORD;
      const { salary: _, ...absent } = rec;
      expect(() => model.predict(absent)).toThrow(/salary: is required: the record has no such field/);
      expect(() => model.predict({ satisfaction_level: 0.38 })).toThrow(ValidationError);
      expect(model.predict({ ...rec, salary: null, last_evaluation: null })).toMatchObject({
        prediction: expect.any(Number),
      });
    } finally {
      model.dispose();
    }
    const lines = readFileSync(join(dir, "records.csv"), "utf8").split("\n");
    const cols = lines[0].split(",");
    const drop = cols.indexOf("salary");
    writeFileSync(
      join(tmp, "no-salary-records.csv"),
      lines
        .map((l) =>
          l
            .split(",")
            .filter((_, i) => i !== drop)
            .join(","),
        )
        .join("\n"),
    );
    const err = await lgbmFails("predict", "-m", out, "-i", join(tmp, "no-salary-records.csv"));
    expect(err).toMatch(/salary: column is missing from the input CSV header/);
  });

  it("from TypeScript: createBundle() writes the same bundle", async () => {
    const ts = join(tmp, "onehot-ts");
    const { spec: s, notes } = await createBundle({
      model: join(dir, "model.txt"),
      data: hrCsv,
      target: "left",
      unknown: "ignore",
      out: ts,
    });
    expect(notes).toEqual([]);
    expect(readFileSync(join(ts, "spec.json"), "utf8")).toBe(readFileSync(join(out, "spec.json"), "utf8"));
    expect(s).toEqual(spec(out));
  });

  it("from TypeScript with data in memory: records or columns give the CSV run's fields and reference", async () => {
    const rows = parse(readFileSync(hrCsv), { columns: true }) as Record<string, string>[];
    const text = new Set(["sales", "salary"]);
    // As a program has them: numbers as numbers, text as strings (records), typed arrays (columns).
    const records = rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, text.has(k) ? v : Number(v)])),
    );
    const columns = Object.fromEntries(
      Object.keys(rows[0]).map((k) => [
        k,
        text.has(k) ? rows.map((r) => r[k]) : Float64Array.from(rows, (r) => Number(r[k])),
      ]),
    );
    const csv = spec(out);
    for (const [name, data] of Object.entries({ records, columns })) {
      const { spec: s } = await createBundle({
        model: join(dir, "model.txt"),
        data,
        target: "left",
        unknown: "ignore",
        out: join(tmp, `onehot-${name}`),
      });
      expect(s.fields, name).toEqual(csv.fields);
      expect(s.reference, name).toEqual(csv.reference);
      expect(s.columns, name).toEqual(csv.columns);
      expect(s.origin!.data, name).toMatchObject({ file: "<memory>", rows: 14999 });
      expect(s.origin!.evaluation!.metrics, name).toEqual(csv.origin!.evaluation!.metrics);
      expect(spec(join(tmp, `onehot-${name}`)), name).toEqual(s);
    }
  });

  it("--unknown error (the default) refuses unseen categories; a held-out --eval file gets the metrics", async () => {
    const strict = join(tmp, "onehot-strict");
    const { stderr: notes } = await lgbm(
      "bundle",
      "-m",
      join(dir, "model.txt"),
      "-d",
      hrCsv,
      "-t",
      "left",
      "--eval",
      join(dir, "records.csv"),
      "-o",
      strict,
    );
    const s = spec(strict);
    expect((s.fields[0] as CategoryFieldSpec).unknown).toBe("error");
    // The rows with unseen categories cannot be scored by this bundle: left out of the metrics.
    expect(s.origin!.evaluation).toMatchObject({ file: "records.csv", rows: 115 });
    expect(notes).toMatch(/note: 5 row\(s\) of records\.csv the bundle refuses .* left out of the metrics/);
    expect(notes).toMatch(/; metrics on 115 rows of records\.csv: auc=/);
    expect(notes).not.toMatch(/training data/);
    const stderr = await lgbmFails("predict", "-m", strict, "-i", join(dir, "records.csv"));
    expect(stderr).toMatch(/row 3: sales: expected one of IT, RandD, .*got "astronaut"/);
  });
});

describe("pandas.get_dummies + lgb.train, and a pandas-categorical model, through lgbm bundle", () => {
  it("get_dummies' names (numbers first, then sales_IT ...) predict as Booster.predict on the dummies", async () => {
    const dir = join(fixtures, "dummies");
    const out = join(tmp, "dummies");
    await lgbm("bundle", "-m", join(dir, "model.txt"), "-d", hrCsv, "-t", "left", "-o", out);
    const s = spec(out);
    expect(s.fields.map((f) => f.name).slice(-2)).toEqual(["sales", "salary"]);
    const { rows } = await predictCsv(out, join(dir, "records.csv"));
    expect(rows.map((r) => Number(r[1]))).toEqual(json(join(dir, "expected.json")).normal);
  });

  it("a pandas-categorical model bundles with category fields, category reference statistics and the same predictions", async () => {
    const dir = join(fixtures, "pandas");
    const out = join(tmp, "pandas");
    await lgbm("bundle", "-m", join(dir, "model.txt"), "-d", hrCsv, "-t", "left", "-o", out);
    const s = spec(out);
    const expected = json(join(dir, "expected.json"));
    const sales = s.fields.find((f) => f.name === "sales") as CategoryFieldSpec;
    expect(sales).toMatchObject({
      values: expected.pandas_categorical[0],
      unknown: "missing",
      encoding: { kind: "native" },
    });
    expect(s.reference!.fields.sales.kind).toBe("category");
    expect(Object.keys((s.reference!.fields.salary as { shares: object }).shares)).toEqual([
      "high",
      "low",
      "medium",
    ]);
    const { rows } = await predictCsv(out, join(dir, "records.csv"));
    expect(rows.map((r) => Number(r[1]))).toEqual(expected.normal);
  });
});

describe("values with _ and spaces next to a column that prefixes them (regression)", () => {
  it("city_size_xl is city = size_xl, city_new_york is city = new york, city_size is a number", async () => {
    const dir = join(fixtures, "cities");
    const out = join(tmp, "cities");
    await lgbm(
      "bundle",
      "-m",
      join(dir, "model.txt"),
      "-d",
      join(dir, "data.csv"),
      "-t",
      "price",
      "--unknown",
      "ignore",
      "-o",
      out,
    );
    const s = spec(out);
    const city = s.fields[0] as CategoryFieldSpec;
    expect(city.name).toBe("city");
    expect(city.values).toEqual(["new york", "paris", "rio de_janeiro", "san_francisco", "size_xl"]);
    expect(s.fields.slice(1).map((f) => [f.name, f.type])).toEqual([
      ["city_size", "number"],
      ["rooms", "number"],
    ]);
    expect(s.task).toBe("regression");
    expect(Object.keys(s.origin!.evaluation!.metrics)).toEqual(["rmse", "mae", "r2"]);
    const { header, rows } = await predictCsv(out, join(dir, "records.csv"));
    expect(header).toBe("value");
    expect(rows.map((r) => Number(r[0]))).toEqual(json(join(dir, "expected.json")).predict);
  });
});

describe("multiclass with text labels: lgbm bundle --classes", () => {
  const dir = join(fixtures, "multiclass");
  const expected = json(join(dir, "expected.json")) as {
    classes: string[];
    proba: number[][];
    predict: string[];
  };

  it("names the classes; results carry the labels and predict_proba exactly", async () => {
    const out = join(tmp, "multiclass");
    const { stderr } = await lgbm(
      "bundle",
      "-m",
      join(dir, "model.txt"),
      "-d",
      hrCsv,
      "-t",
      "salary",
      "--classes",
      expected.classes.join(","),
      "--unknown",
      "ignore",
      "-o",
      out,
    );
    expect(stderr).toMatch(
      /metrics on the training data \(14999 rows of hr\.csv; --eval <csv> gives held-out metrics\): multi_logloss=[\d.]+ accuracy=/,
    );
    const s = spec(out);
    expect(s.task).toBe("multiclass");
    expect(s.target).toEqual({ name: "salary", classes: expected.classes });
    // `left` is a feature of this model (an input), the target `salary` is not.
    expect(s.fields.map((f) => f.name)).toContain("left");
    expect(s.fields.map((f) => f.name)).not.toContain("salary");
    const { header, rows } = await predictCsv(out, join(dir, "records.csv"));
    expect(header).toBe("prediction,probability_high,probability_low,probability_medium");
    expect(rows.map((r) => r[0])).toEqual(expected.predict);
    expect(rows.map((r) => r.slice(1).map(Number))).toEqual(expected.proba);
    const model = await Model.load(out);
    try {
      const recs = (
        parse(readFileSync(join(dir, "records.csv")), { columns: true }) as Record<string, string>[]
      ).map(recordReader(model.spec));
      expect(model.predict(recs[0])).toEqual({
        prediction: expected.predict[0],
        probabilities: expected.proba[0],
      });
    } finally {
      model.dispose();
    }
  });

  it("without --classes, text labels are sorted as scikit-learn sorts them (and said so); a wrong count is an error", async () => {
    const out = join(tmp, "multiclass-sorted");
    const { stderr } = await lgbm(
      "bundle",
      "-m",
      join(dir, "model.txt"),
      "-d",
      hrCsv,
      "-t",
      "salary",
      "--unknown",
      "ignore",
      "-o",
      out,
    );
    expect(stderr).toMatch(
      /note: classes \(sorted, as scikit-learn's LabelEncoder sorts them\): high, low, medium/,
    );
    expect(spec(out).target!.classes).toEqual(expected.classes);
    const err = await lgbmFails(
      "bundle",
      "-m",
      join(dir, "model.txt"),
      "-d",
      hrCsv,
      "--classes",
      "a,b",
      "-o",
      join(tmp, "x"),
    );
    expect(err).toMatch(/classes: has 2 labels but the model has 3 classes/);
  });
});

describe("what lgbm bundle refuses, naming it", () => {
  const onehot = join(fixtures, "onehot", "model.txt");

  it("a model feature that matches nothing in the data", async () => {
    // The data lost its salary column: cat__salary_high ... match nothing.
    const lines = readFileSync(hrCsv, "utf8").trim().split("\n");
    const cols = lines[0].split(",");
    const drop = cols.indexOf("salary");
    writeFileSync(
      join(tmp, "no-salary.csv"),
      `${lines
        .map((l) =>
          l
            .split(",")
            .filter((_, i) => i !== drop)
            .join(","),
        )
        .join("\n")}\n`,
    );
    const err = await lgbmFails(
      "bundle",
      "-m",
      onehot,
      "-d",
      join(tmp, "no-salary.csv"),
      "-o",
      join(tmp, "bad"),
    );
    expect(err).toMatch(/cat__salary_high: is neither a column of the data nor <column>_<value> of one/);
    expect(err).toMatch(/cat__salary_medium/);
    // A value the data never has, in a known column.
    const other = lines.map((l, i) => (i === 0 ? l : l.replace(/,high$/, ",low")));
    writeFileSync(join(tmp, "no-high.csv"), `${other.join("\n")}\n`);
    const err2 = await lgbmFails(
      "bundle",
      "-m",
      onehot,
      "-d",
      join(tmp, "no-high.csv"),
      "-o",
      join(tmp, "bad"),
    );
    expect(err2).toMatch(
      /cat__salary_high: is neither a column of the data nor <column>_<value> of one: "high" is not a value of column salary/,
    );
  });

  it("a numeric feature whose column holds text; a one-hot value the model has no column for; Column_N names", async () => {
    const text = readFileSync(join(fixtures, "dummies", "model.txt"), "utf8");
    const model = join(tmp, "m.txt");
    writeFileSync(model, text);
    const lines = readFileSync(hrCsv, "utf8").trim().split("\n");
    const withText = [...lines, lines[1].replace(/^([^,]*),([^,]*),([^,]*),/, "$1,$2,two,")];
    writeFileSync(join(tmp, "text.csv"), `${withText.join("\n")}\n`);
    const err0 = await lgbmFails("bundle", "-m", model, "-d", join(tmp, "text.csv"), "-o", join(tmp, "bad"));
    expect(err0).toMatch(
      /number_project: is a number for the model, but column number_project holds text \("two"\)/,
    );
    const withNew = [...lines, lines[1].replace(/,sales,/, ",astronaut,")];
    writeFileSync(join(tmp, "new-value.csv"), `${withNew.join("\n")}\n`);
    const err = await lgbmFails(
      "bundle",
      "-m",
      model,
      "-d",
      join(tmp, "new-value.csv"),
      "-o",
      join(tmp, "bad"),
    );
    expect(err).toMatch(/sales: has values without a model column \(astronaut\).*--unknown ignore/);
    const ok = await lgbm(
      "bundle",
      "-m",
      model,
      "-d",
      join(tmp, "new-value.csv"),
      "--unknown",
      "ignore",
      "-o",
      join(tmp, "ok"),
    );
    expect(ok.stderr).toMatch(
      /note: sales: 1 value\(s\) of the data have no model column \(astronaut\): they encode as all zeros/,
    );
    const renamed = text.replace(
      /^feature_names=.*$/m,
      (l) =>
        `feature_names=${l
          .split("=")[1]
          .split(" ")
          .map((_, i) => `Column_${i}`)
          .join(" ")}`,
    );
    writeFileSync(model, renamed);
    const err3 = await lgbmFails("bundle", "-m", model, "-d", hrCsv, "-o", join(tmp, "bad"));
    expect(err3).toMatch(/model: its features have LightGBM's default names \(Column_0 \.\.\. Column_19\)/);
    await expect(createBundle({ model, data: hrCsv, out: join(tmp, "bad") })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
