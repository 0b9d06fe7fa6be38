// Bad input, against the shipped bundle's spec: every problem named by field (and row, for batches),
// all problems of a record at once; the hand-written fast checker agrees with the zod schema.
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Encoder } from "../src/bundle/encoder.js";
import { ValidationError, type ValidationIssue } from "../src/errors.js";
import { Model } from "../src/model.js";
import { HR_RECORD } from "./helpers/records.js";

const good = { ...HR_RECORD, sales: "support" };

let model: Model;
beforeAll(async () => {
  model = await Model.load(join(import.meta.dirname, "../models/hr-attrition"));
});
afterAll(() => model.dispose());

function issuesOf(fn: () => unknown): ValidationIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("one record", () => {
  it("accepts a good record, booleans as true/false too", () => {
    expect(() => model.validate(good)).not.toThrow();
    const a = model.predict(good);
    const b = model.predict({ ...good, Work_accident: false, promotion_last_5years: false });
    expect(b).toEqual(a);
  });

  it("names the field and the problem", () => {
    expect(issuesOf(() => model.validate({ ...good, salary: "astronaut" }))).toEqual([
      { field: "salary", message: 'expected one of high, low, medium, got "astronaut"' },
    ]);
    expect(issuesOf(() => model.validate({ ...good, number_project: "two" }))).toEqual([
      { field: "number_project", message: 'expected an integer, got "two"' },
    ]);
    expect(issuesOf(() => model.validate({ ...good, number_project: 2.5 }))).toEqual([
      { field: "number_project", message: "expected an integer, got 2.5" },
    ]);
    expect(issuesOf(() => model.validate({ ...good, Work_accident: 2 }))).toEqual([
      { field: "Work_accident", message: "expected true, false, 0 or 1, got 2" },
    ]);
    expect(issuesOf(() => model.validate({ ...good, sales: 3 }))).toEqual([
      { field: "sales", message: "expected a string, got 3" },
    ]);
  });

  it("reports every problem of a record at once", () => {
    const issues = issuesOf(() =>
      model.predict({ ...good, satisfaction_level: "high", salary: "astronaut", number_project: null }),
    );
    expect(issues.map((i) => i.field)).toEqual(["satisfaction_level", "number_project", "salary"]);
    expect(issues.every((i) => i.row === undefined)).toBe(true);
  });

  it("refuses NaN and Infinity, null and absent fields (no field of this bundle may be missing)", () => {
    expect(issuesOf(() => model.validate({ ...good, last_evaluation: Number.NaN }))).toEqual([
      { field: "last_evaluation", message: "expected a number, got NaN" },
    ]);
    expect(
      issuesOf(() => model.validate({ ...good, last_evaluation: Number.POSITIVE_INFINITY }))[0].message,
    ).toBe("expected a number, got Infinity");
    expect(issuesOf(() => model.validate({ ...good, sales: null }))).toEqual([
      { field: "sales", message: "is required (may not be missing), got null" },
    ]);
    const { salary: _, ...noSalary } = good;
    expect(issuesOf(() => model.validate(noSalary))).toEqual([
      { field: "salary", message: "is required (may not be missing), got nothing" },
    ]);
  });

  it("ignores extra fields by default and rejects them with extraFields: 'reject'", async () => {
    expect(() => model.validate({ ...good, employee_id: 17, left: 1 })).not.toThrow();
    const strict = await Model.load(join(import.meta.dirname, "../models/hr-attrition"), {
      extraFields: "reject",
    });
    try {
      expect(() => strict.validate(good)).not.toThrow();
      expect(issuesOf(() => strict.validate({ ...good, employee_id: 17, salry: "low" }))).toEqual([
        { field: "employee_id", message: "is not a field of this model" },
        { field: "salry", message: "is not a field of this model" },
      ]);
      // Extra and wrong fields together.
      expect(issuesOf(() => strict.validate({ ...good, sales: "x", extra: 1 })).map((i) => i.field)).toEqual([
        "sales",
        "extra",
      ]);
    } finally {
      strict.dispose();
    }
  });

  it("refuses what is not a record", () => {
    for (const bad of [null, 42, "x"]) {
      expect(issuesOf(() => model.validate(bad))[0].field).toBe("record");
    }
    expect(issuesOf(() => model.encode([good, [1, 2]] as never))).toEqual([
      { field: "record", row: 1, message: "expected an object of field values, got an array" },
    ]);
  });
});

describe("batches", () => {
  it("reports problems with their row index", () => {
    const issues = issuesOf(() =>
      model.predict([good, { ...good, salary: "astronaut" }, good, { ...good, sales: 1 }]),
    );
    expect(issues).toEqual([
      { field: "salary", row: 1, message: 'expected one of high, low, medium, got "astronaut"' },
      { field: "sales", row: 3, message: "expected a string, got 1" },
    ]);
    expect(String(new ValidationError(issues))).toContain(
      'row 1: salary: expected one of high, low, medium, got "astronaut"',
    );
  });

  it("refuses an empty batch", () => {
    expect(issuesOf(() => model.predict([]))).toEqual([
      { field: "records", message: "expected at least one record, got none" },
    ]);
    expect(
      issuesOf(() => model.encode({ ...Object.fromEntries(Object.keys(good).map((k) => [k, []])) }))[0]
        .message,
    ).toMatch(/at least one row/);
  });

  it("caps the issues of a large bad batch and counts the rest", () => {
    const bad = Array.from({ length: 500 }, () => ({ ...good, salary: "x" }));
    const issues = issuesOf(() => model.encode(bad));
    expect(issues).toHaveLength(101);
    expect(issues[100]).toEqual({ field: "records", message: "and 400 more invalid rows" });
  });

  it("columnar input: unequal lengths, missing columns, NaN in typed arrays, bad values with rows", () => {
    const cols = (n: number) => ({
      satisfaction_level: new Float64Array(n).fill(0.5),
      last_evaluation: new Float64Array(n).fill(0.5),
      number_project: new Float64Array(n).fill(3),
      average_montly_hours: new Float64Array(n).fill(160),
      time_spend_company: new Float64Array(n).fill(3),
      Work_accident: new Float64Array(n),
      promotion_last_5years: new Float64Array(n),
      sales: Array<string>(n).fill("IT"),
      salary: Array<string>(n).fill("low"),
    });
    const c = cols(4);
    expect(model.encode(c).nrow).toBe(4);
    expect(issuesOf(() => model.encode({ ...c, salary: ["low"] }))).toEqual([
      { field: "salary", message: "has 1 values, other columns have 4" },
    ]);
    const { sales: _, ...noSales } = c;
    expect(issuesOf(() => model.encode(noSales))[0]).toEqual({
      field: "sales",
      message: "is required (may not be missing): no such column",
    });
    const bad = cols(4);
    bad.last_evaluation[2] = Number.NaN; // missing, and this field may not be missing
    bad.number_project[3] = 2.5;
    expect(issuesOf(() => model.encode(bad))).toEqual([
      { field: "last_evaluation", row: 2, message: "is required (may not be missing), got null" },
      { field: "number_project", row: 3, message: "expected an integer, got 2.5" },
    ]);
    expect(issuesOf(() => model.encode(good as never))[0].message).toMatch(/expected an array of values/);
  });

  it("encodes and predicts a 1M-row columnar batch; a bad last row is found with its index", async () => {
    const n = 1_000_000;
    const sat = new Float64Array(n);
    for (let i = 0; i < n; i++) sat[i] = (i % 100) / 100;
    const sales = ["IT", "sales", "support", "technical"];
    const columns = {
      satisfaction_level: sat,
      last_evaluation: new Float64Array(n).fill(0.7),
      number_project: new Float64Array(n).fill(4),
      average_montly_hours: new Float64Array(n).fill(200),
      time_spend_company: new Float64Array(n).fill(3),
      Work_accident: new Float64Array(n),
      promotion_last_5years: new Float64Array(n),
      sales: Array.from({ length: n }, (_, i) => sales[i % 4]),
      salary: Array<string>(n).fill("medium"),
    };
    const { data, nrow } = model.encode(columns);
    expect(nrow).toBe(n);
    expect(data.length).toBe(n * 20);
    // Row 999,999: satisfaction 0.99, sales "technical" (one-hot column 7 + 9), salary medium (col 19).
    const last = data.subarray((n - 1) * 20);
    expect(last[0]).toBe(0.99);
    expect(Array.from(last.subarray(7, 17))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(last.subarray(17))).toEqual([0, 0, 1]);
    const results = await model.predictEncodedAsync(data, nrow);
    expect(results).toHaveLength(n);
    expect(results[n - 1]).toEqual(
      model.predict({
        ...good,
        satisfaction_level: 0.99,
        last_evaluation: 0.7,
        number_project: 4,
        average_montly_hours: 200,
        sales: "technical",
        salary: "medium",
      }),
    );
    columns.salary[n - 1] = "astronaut";
    expect(issuesOf(() => model.encode(columns))).toEqual([
      { field: "salary", row: n - 1, message: 'expected one of high, low, medium, got "astronaut"' },
    ]);
  });
});

describe("the fast checker agrees with the zod schema", () => {
  const value = fc.oneof(
    fc.double(),
    fc.integer({ min: -5, max: 400 }),
    fc.constantFrom(0, 1, true, false, null, undefined, "low", "IT", "support", "astronaut", "", "2"),
    fc.string(),
    fc.constant({}),
    fc.constant([1]),
  );
  it("on random records (each field good or random)", () => {
    const names = Object.keys(good) as (keyof typeof good)[];
    const record = fc.tuple(...names.map(() => fc.option(value, { freq: 2 }))).map((vals) => {
      const r: Record<string, unknown> = {};
      names.forEach((n, i) => {
        const v = vals[i];
        r[n] = v === null ? good[n] : v;
      });
      return r;
    });
    for (const extraFields of ["ignore", "reject"] as const) {
      const encoder = new Encoder(model.spec, { extraFields });
      const extra = fc.option(fc.dictionary(fc.constantFrom("x", "employee_id", "salary"), value), {
        freq: 3,
      });
      fc.assert(
        fc.property(record, extra, (r, e) => {
          const rec = { ...r, ...(e ?? {}) };
          const zodOk = encoder.schema.zod.safeParse(rec).success;
          let fastOk = true;
          try {
            encoder.encodeOne(rec);
          } catch {
            fastOk = false;
          }
          expect(fastOk).toBe(zodOk);
        }),
        { numRuns: 2000 },
      );
    }
  });
});
