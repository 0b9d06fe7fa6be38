// A bare model.txt never answers a record it could not read: every feature is a required field (an
// absent one is an error naming it, 422 over HTTP), null is a missing value, and a record sharing no
// field name with the model is an error. `absentFields: "missing"` (`--absent-fields missing`) keeps the
// old lenient reading; bundles are unchanged. And the encoder's fast checker still agrees with zod.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Encoder } from "../src/bundle/encoder.js";
import { deriveSpec, type Spec } from "../src/bundle/spec.js";
import { ValidationError, type ValidationIssue } from "../src/errors.js";
import { Model } from "../src/model.js";
import type { RunningServer } from "../src/server/server.js";
import { post, start } from "./fixtures/server/helpers.js";
import { loadZooCase } from "./helpers/zoo.js";

const c = loadZooCase("binary");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-bare-strict-"));

function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

/** Zoo row r as a record (NaN → null: JSON's missing value). */
function recordOf(names: string[], r: number): Record<string, number | null> {
  const rec: Record<string, number | null> = {};
  names.forEach((n, i) => {
    const v = c.X[r * c.ncol + i];
    rec[n] = Number.isNaN(v) ? null : v;
  });
  return rec;
}

describe("in the SDK", () => {
  let model: Model;
  let names: string[];
  beforeAll(async () => {
    model = await Model.load(c.modelFile);
    names = model.info.featureNames;
  });
  afterAll(() => model.dispose());

  it("a complete record predicts LightGBM's value; explicit nulls are missing values", () => {
    for (let r = 0; r < 20; r++) {
      expect((model.predict(recordOf(names, r)) as { probability: number }).probability).toBe(
        c.expected.normal[r],
      );
    }
    const nulls = Object.fromEntries(names.map((n) => [n, null]));
    const nan = model.predict(new Float64Array(names.length).fill(Number.NaN))[0];
    expect((model.predict(nulls) as { probability: number }).probability).toBe(nan);
  });

  it("{} and a record of misspelled names share no field name with the model: one error saying so", () => {
    for (const rec of [{}, Object.fromEntries(names.map((n) => [`${n}_x`, 1]))]) {
      const issues = issuesOf(() => model.predict(rec));
      expect(issues).toEqual([
        {
          field: "record",
          message: `shares no field name with the model, which expects ${names.length} fields: ${names.join(", ")}`,
        },
      ]);
    }
  });

  it("an absent field is an error naming it (a misspelling too), in records, batches and columns", () => {
    const rec = recordOf(names, 0);
    const { [names[2]]: _, ...absent } = rec;
    expect(issuesOf(() => model.predict(absent))).toEqual([
      {
        field: names[2],
        message: "is required: the record has no such field (send null for a missing value)",
      },
    ]);
    const misspelled = { ...absent, [`${names[2]}X`]: 1 };
    expect(issuesOf(() => model.predict(misspelled)).map((i) => i.field)).toEqual([names[2]]);
    expect(issuesOf(() => model.predict([rec, absent, rec]))).toEqual([
      {
        field: names[2],
        row: 1,
        message: "is required: the record has no such field (send null for a missing value)",
      },
    ]);
    const columns = Object.fromEntries(names.slice(1).map((n) => [n, [1, 2]]));
    expect(issuesOf(() => model.encode(columns))).toEqual([
      { field: names[0], message: "is required: no such column (null values say missing)" },
    ]);
    expect(issuesOf(() => model.validate({}))).toHaveLength(1);
  });

  it("absentFields: 'missing' keeps the lenient reading: {} predicts the all-missing row", async () => {
    const lenient = await Model.load(c.modelFile, { absentFields: "missing" });
    try {
      const nan = lenient.predict(new Float64Array(names.length).fill(Number.NaN))[0];
      expect((lenient.predict({}) as { probability: number }).probability).toBe(nan);
      expect(lenient.encode({ [names[0]]: [1] }).nrow).toBe(1);
    } finally {
      lenient.dispose();
    }
    expect(() => new Encoder(model.spec, { absentFields: "maybe" as never })).toThrow(RangeError);
  });

  it("bundles are unchanged: a nullable field of a spec may be absent", async () => {
    const { absentFields, ...spec } = deriveSpec(model.info);
    expect(absentFields).toBe("error");
    const bundle = await Model.fromString(c.modelText, { spec });
    try {
      expect(bundle.specSource).toBe("bundle");
      expect(model.specSource).toBe("model");
      expect(() => bundle.predict({ [names[0]]: 1 })).not.toThrow();
    } finally {
      bundle.dispose();
    }
  });
});

describe("over HTTP", () => {
  let srv: RunningServer;
  let lenient: RunningServer;
  let names: string[];
  beforeAll(async () => {
    const file = join(tmp, "bare.txt");
    copyFileSync(c.modelFile, file);
    srv = await start(file);
    lenient = await start(file, { absentFields: "missing" });
    const m = await Model.load(file);
    names = m.info.featureNames;
    m.dispose();
  });
  afterAll(async () => {
    await srv?.close();
    await lenient?.close();
  });

  it("{} and misspelled names are 422, never a prediction", async () => {
    for (const body of [{}, { Column_O: 1, colum_1: 2 }]) {
      const r = await post(srv.url, "/predict", body);
      expect(r.status).toBe(422);
      expect(r.body.issues).toEqual([
        { field: "record", message: expect.stringMatching(/^shares no field name/) },
      ]);
    }
  });

  it("an absent field is 422 naming it; explicit nulls predict; batches name the row", async () => {
    const rec = recordOf(names, 3);
    const { [names[4]]: _, ...absent } = rec;
    const r = await post(srv.url, "/predict", absent);
    expect(r.status).toBe(422);
    expect(r.body.issues).toEqual([{ field: names[4], message: expect.stringMatching(/^is required/) }]);
    const ok = await post(srv.url, "/predict", rec);
    expect(ok.status).toBe(200);
    expect(ok.body.probability).toBe(c.expected.normal[3]);
    const nulls = await post(srv.url, "/predict", { ...rec, [names[4]]: null });
    expect(nulls.status).toBe(200);
    const batch = await post(srv.url, "/predict/batch", [rec, absent]);
    expect(batch.status).toBe(422);
    expect(batch.body.issues).toEqual([
      { field: names[4], row: 1, message: expect.stringMatching(/^is required/) },
    ]);
    const v2 = await post(srv.url, "/v2/models/bare/infer", {
      inputs: names.slice(1).map((name) => ({ name, shape: [1], datatype: "FP64", data: [1] })),
    });
    expect(v2.status).toBe(400);
    expect(v2.body.error).toContain(names[0]);
  });

  it("--absent-fields missing keeps the lenient reading", async () => {
    const r = await post(lenient.url, "/predict", {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ prediction: expect.any(Number), probability: expect.any(Number) });
  });
});

describe("the fast checker agrees with the zod schema on the new field kinds", () => {
  const spec: Spec = {
    specVersion: 1,
    task: "regression",
    fields: [
      { name: "x", type: "number", nullable: true, infinite: true },
      { name: "y", type: "number", nullable: false },
      { name: "n", type: "integer", nullable: true },
      { name: "b", type: "boolean", nullable: true },
      {
        name: "rooms",
        type: "category",
        nullable: true,
        values: ["1", "2", "3.5", "x_y"],
        unknown: "missing",
        encoding: { kind: "native", column: "rooms" },
      },
      {
        name: "size",
        type: "category",
        nullable: false,
        values: ["10", "-2", "big"],
        unknown: "error",
        encoding: { kind: "onehot", columns: ["size_10", "size_-2", "size_big"] },
      },
      {
        name: "kind",
        type: "category",
        nullable: true,
        values: ["a", "b"],
        unknown: "ignore",
        encoding: { kind: "onehot", columns: ["kind_a", "kind_b"] },
      },
    ],
    columns: ["x", "y", "n", "b", "rooms", "size_10", "size_-2", "size_big", "kind_a", "kind_b"],
  };
  const value = fc.oneof(
    fc.double(),
    fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0),
    fc.integer({ min: -3, max: 12 }),
    fc.constantFrom(
      0,
      1,
      2,
      3.5,
      10,
      -2,
      true,
      false,
      null,
      undefined,
      "1",
      "2",
      "3.5",
      "10",
      "big",
      "a",
      "x_y",
      "",
    ),
    fc.string(),
    fc.constant({}),
  );
  it("on random records, strict and lenient, extra fields ignored and rejected", () => {
    const names = spec.fields.map((f) => f.name);
    for (const absentFields of ["error", "missing"] as const) {
      for (const extraFields of ["ignore", "reject"] as const) {
        const encoder = new Encoder(spec, { absentFields, extraFields });
        const record = fc.tuple(...names.map(() => fc.option(value, { freq: 3 }))).map((vals) => {
          const r: Record<string, unknown> = {};
          names.forEach((n, i) => {
            // fc.option's null means "leave the field out".
            if (vals[i] !== null) r[n] = vals[i];
          });
          return r;
        });
        fc.assert(
          fc.property(
            record,
            fc.option(fc.dictionary(fc.constantFrom("zz", "x"), value), { freq: 3 }),
            (r, e) => {
              const rec = { ...(e ?? {}), ...r };
              const zodOk = encoder.schema.zod.safeParse(rec).success;
              let fastOk = true;
              try {
                encoder.encodeOne(rec);
              } catch {
                fastOk = false;
              }
              expect(fastOk).toBe(zodOk);
            },
          ),
          { numRuns: 3000 },
        );
      }
    }
  });

  it("number-valued categories match numbers; infinite numbers pass only where the spec allows", () => {
    const encoder = new Encoder(spec, { absentFields: "missing" });
    const row = (rec: Record<string, unknown>) => encoder.encodeOne({ y: 0, size: "big", ...rec });
    expect(row({ rooms: 2 })[4]).toBe(1);
    expect(row({ rooms: "2" })[4]).toBe(1);
    expect(row({ rooms: 3.5 })[4]).toBe(2);
    expect(row({ rooms: 7 })[4]).toBeNaN();
    expect(Array.from(row({ size: -2 }).subarray(5, 8))).toEqual([0, 1, 0]);
    expect(row({ x: Number.NEGATIVE_INFINITY })[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(issuesOf(() => row({ y: Number.POSITIVE_INFINITY }))).toEqual([
      { field: "y", message: "expected a number, got Infinity" },
    ]);
    expect(issuesOf(() => row({ size: 11 }))).toEqual([
      { field: "size", message: "expected one of 10, -2, big, got 11" },
    ]);
    expect(issuesOf(() => row({ kind: 1 }))).toEqual([
      { field: "kind", message: "expected a string, got 1" },
    ]);
  });
});
