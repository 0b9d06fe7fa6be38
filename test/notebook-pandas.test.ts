// A model trained by LightGBM's Python package on a DataFrame with pandas `category` columns (its
// model.txt ends with a pandas_categorical line) takes the category strings as they are, through the
// SDK, `lgbm predict` and POST /predict, and predicts what Booster.predict predicts on the same
// DataFrame: 0 difference in raw score, with unseen categories, missing values and infinities.
// Ground truth: test/fixtures/make_notebook_fixture.py (pandas/).
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CategoryFieldSpec } from "../src/bundle/spec.js";
import { recordReader } from "../src/drift/analyze.js";
import { ValidationError } from "../src/errors.js";
import { Model } from "../src/model.js";
import type { RunningServer } from "../src/server/server.js";
import { get, post, start } from "./fixtures/server/helpers.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const dir = join(root, "test/fixtures/notebook/pandas");
const modelFile = join(dir, "model.txt");
const hrCsv = join(root, "models/hr-attrition/data/hr.csv");
const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
  features: string[];
  pandas_categorical: string[][];
  raw: number[];
  normal: number[];
  infinityRows: number[];
};
const tmp = mkdtempSync(join(tmpdir(), "lgbm-pandas-"));
const modelText = readFileSync(modelFile, "utf8");

/** The fixture's records.csv as records, each cell read by the cell reader as `lgbm predict` reads it. */
function records(model: Model): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(dir, "records.csv")), { columns: true }) as Record<string, string>[];
  const read = recordReader(model.spec);
  return rows.map(read);
}

describe("a bare model.txt with pandas categoricals", () => {
  let model: Model;
  beforeAll(async () => {
    model = await Model.load(modelFile);
  });
  afterAll(() => model.dispose());

  it("loads with those features as category fields whose values are the pandas categories", () => {
    expect(model.info.featureNames).toEqual(expected.features);
    const fields = model.spec.fields;
    expect(fields.map((f) => f.type)).toEqual([...Array(7).fill("number"), "category", "category"]);
    for (const [i, name] of ["sales", "salary"].entries()) {
      const f = fields.find((x) => x.name === name) as CategoryFieldSpec;
      expect(f.values).toEqual(expected.pandas_categorical[i]);
      expect(f.encoding).toEqual({ kind: "native", column: name });
      expect(f.unknown).toBe("missing");
      expect(f.nullable).toBe(true);
    }
  });

  it("maps strings to LightGBM Python's codes: raw scores and probabilities equal Booster.predict exactly", async () => {
    const recs = records(model);
    expect(recs).toHaveLength(expected.raw.length);
    // The records hold unseen categories, missing ones, and missing / infinite numbers.
    expect(recs.some((r) => r.sales === "astronaut")).toBe(true);
    expect(recs.some((r) => r.sales === null)).toBe(true);
    expect(recs.some((r) => r.salary === null)).toBe(true);
    expect(recs.some((r) => r.satisfaction_level === Number.POSITIVE_INFINITY)).toBe(true);
    for (const engine of ["native", "js"] as const) {
      const m = await Model.load(modelFile, { engine });
      try {
        const { data, nrow } = m.encode(recs);
        expect(Array.from(m.predict(data, { type: "raw" }))).toEqual(expected.raw);
        expect(nrow).toBe(expected.raw.length);
        const named = m.predict(recs) as { probability: number }[];
        // The js engine's sigmoid is V8's exp: within its last bit of LightGBM's (see the js engine docs).
        const near = (got: number, want: number): void => {
          if (engine === "native") expect(got).toBe(want);
          else expect(Math.abs(got - want)).toBeLessThanOrEqual(4e-16 * want);
        };
        named.forEach((r, i) => {
          near(r.probability, expected.normal[i]);
        });
        // One record at a time (the single-row path) too.
        recs.forEach((r, i) => {
          near((m.predict(r) as { probability: number }).probability, expected.normal[i]);
        });
      } finally {
        m.dispose();
      }
    }
  });

  it("codes follow the list: category i is code i, unknown and missing are NaN", () => {
    const rec = { ...records(model)[0] };
    const at = model.spec.columns.indexOf("sales");
    for (const [i, v] of expected.pandas_categorical[0].entries()) {
      expect(model.encode([{ ...rec, sales: v }]).data[at]).toBe(i);
    }
    expect(model.encode([{ ...rec, sales: "astronaut" }]).data[at]).toBeNaN();
    expect(model.encode([{ ...rec, sales: null }]).data[at]).toBeNaN();
  });

  it("lgbm predict on the raw CSV (strings, every missing and infinity spelling) equals Python, raw and normal", async () => {
    for (const type of ["raw", "normal"] as const) {
      const { stdout } = await run(process.execPath, [
        bin,
        "predict",
        "-m",
        modelFile,
        "-i",
        join(dir, "records.csv"),
        "-t",
        type,
      ]);
      const [header, ...lines] = stdout.trim().split("\n");
      expect(header).toBe(type === "raw" ? "raw" : "prediction");
      expect(lines.map(Number)).toEqual(type === "raw" ? expected.raw : expected.normal);
    }
  });

  it("which features are categorical comes from the model file: indices, names, or feature_infos", async () => {
    const variants = {
      names: modelText.replace("[categorical_feature: 7,8]", "[categorical_feature: name:sales,salary]"),
      infos: modelText.replace(/\nparameters:\n[\s\S]*?\nend of parameters\n/, "\n"),
    };
    expect(variants.names).not.toBe(modelText);
    expect(variants.infos).not.toContain("[categorical_feature:");
    const want = (await Model.fromString(modelText)).spec;
    for (const text of Object.values(variants)) {
      const m = await Model.fromString(text);
      try {
        expect(m.spec).toEqual(want);
      } finally {
        m.dispose();
      }
    }
  });

  it("a pandas categorical the model file cannot locate is an error that says how to bundle it", async () => {
    // Python coded `sales` (a category column) but split it as a number: categorical_feature left it out.
    const one = modelText.replace("[categorical_feature: 7,8]", "[categorical_feature: 8]");
    const err = await Model.fromString(one).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(
      /pandas_categorical: lists 2 category columns, but the model's 1 categorical features \(salary\)/,
    );
    expect(err.message).toMatch(/lgbm bundle --model model\.txt --data train\.csv/);
    // A pairing whose training values cannot be codes of the list is refused, not guessed.
    const wrong = modelText.replace("[categorical_feature: 7,8]", "[categorical_feature: 3,8]");
    expect(await Model.fromString(wrong).catch((e) => e)).toBeInstanceOf(ValidationError);
    // lgbm bundle finds them in the data (the text columns).
    writeFileSync(join(tmp, "one.txt"), one);
    await run(process.execPath, [
      bin,
      "bundle",
      "-m",
      join(tmp, "one.txt"),
      "-d",
      hrCsv,
      "-o",
      join(tmp, "one"),
    ]);
    const b = await Model.load(join(tmp, "one"));
    try {
      const sales = b.spec.fields.find((f) => f.name === "sales") as CategoryFieldSpec;
      expect(sales.values).toEqual(expected.pandas_categorical[0]);
      expect(sales.encoding).toEqual({ kind: "native", column: "sales" });
    } finally {
      b.dispose();
    }
  });

  it("a malformed pandas_categorical line is a ModelParseError with its line", async () => {
    const bad = modelText.replace(/pandas_categorical:.*\n?$/, 'pandas_categorical:[["a", "b"\n');
    const err = await Model.fromString(bad).catch((e) => e);
    expect(err.name).toBe("ModelParseError");
    expect(err.message).toMatch(/^line \d+: pandas_categorical: not valid JSON/);
    expect(err.line).toBe(modelText.trimEnd().split("\n").length);
  });
});

describe("served by lgbm serve", () => {
  let srv: RunningServer;
  let base: string;
  let recs: Record<string, unknown>[];
  const served = join(tmp, "hr-pandas.txt");
  beforeAll(async () => {
    copyFileSync(modelFile, served);
    srv = await start(served);
    base = srv.url;
    const m = await Model.load(modelFile);
    recs = records(m);
    m.dispose();
  });
  afterAll(async () => {
    await srv?.close();
  });

  it("POST /predict takes the strings and answers Python's probability (JSON has no infinity: those rows left out)", async () => {
    const rows = recs.map((r, i) => ({ r, i })).filter(({ i }) => !expected.infinityRows.includes(i));
    expect(rows.length).toBeGreaterThan(90);
    for (const { r, i } of rows.slice(0, 30)) {
      const res = await post(base, "/predict", r);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        prediction: expected.normal[i] >= 0.5 ? 1 : 0,
        probability: expected.normal[i],
      });
    }
    const batch = await post(
      base,
      "/predict/batch",
      rows.map(({ r }) => r),
    );
    expect(batch.status).toBe(200);
    expect(batch.body.predictions.map((p: { probability: number }) => p.probability)).toEqual(
      rows.map(({ i }) => expected.normal[i]),
    );
    // Raw scores over HTTP: V2 infer, one tensor per field (strings as BYTES, null missing).
    const names = Object.keys(rows[0].r);
    const v2 = await post(base, "/v2/models/hr-pandas/infer", {
      inputs: names.map((name) => ({
        name,
        shape: [rows.length],
        datatype: name === "sales" || name === "salary" ? "BYTES" : "FP64",
        data: rows.map(({ r }) => r[name]),
      })),
      outputs: [{ name: "raw" }],
    });
    expect(v2.status).toBe(200);
    expect(v2.body.outputs[0].data).toEqual(rows.map(({ i }) => expected.raw[i]));
  });

  it("docs, /models and V2 metadata show them as categories", async () => {
    const models = await get(base, "/models");
    const fields = models.body.models[0].fields as { name: string; type: string; categories?: string[] }[];
    expect(fields.find((f) => f.name === "sales")).toEqual({
      name: "sales",
      type: "category",
      categories: expected.pandas_categorical[0],
    });
    const v2 = await get(base, "/v2/models/hr-pandas");
    expect(v2.body.inputs).toContainEqual({ name: "salary", datatype: "BYTES", shape: [-1] });
    expect(v2.body.inputs).toContainEqual({ name: "satisfaction_level", datatype: "FP64", shape: [-1] });
    const doc = (await get(base, "/openapi.json")).body;
    const text = JSON.stringify(doc);
    expect(text).toContain("known values: IT, RandD, accounting");
    const infer = await post(base, "/v2/models/hr-pandas/infer", {
      inputs: Object.entries(recs[0]).map(([name, v]) => ({
        name,
        shape: [1],
        datatype: typeof v === "string" ? "BYTES" : "FP64",
        data: [v],
      })),
    });
    expect(infer.status).toBe(200);
    expect(infer.body.outputs[0].data).toEqual([expected.normal[0] >= 0.5 ? 1 : 0]);
  });
});
