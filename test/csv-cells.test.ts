// One CSV cell reader for lgbm predict, train and drift (src/csv/cell.ts): every missing spelling
// pandas reads as NaN is missing, inf/+inf/-inf/Infinity (any case) are infinities where the field is
// numeric, true/false read the same everywhere. Each command gets the same answer from a CSV written
// with the odd spellings as from the same data written plainly.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { FieldSpec } from "../src/bundle/spec.js";
import { cellReader, isMissingCell, readBoolean, readNumber } from "../src/csv/cell.js";
import { Model } from "../src/model.js";
import { loadZooCase } from "./helpers/zoo.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-csv-cells-"));
const lgbm = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 16 << 20 });

const MISSING = [
  "",
  "NaN",
  "nan",
  "-nan",
  "-NaN",
  "NA",
  "N/A",
  "n/a",
  "null",
  "NULL",
  "None",
  "<NA>",
  "#N/A",
  "#NA",
];
const POS_INF = ["inf", "+inf", "Inf", "INF", "Infinity", "+Infinity", "infinity", "INFINITY"];
const NEG_INF = ["-inf", "-Inf", "-INF", "-Infinity", "-infinity"];
const TRUE = ["true", "True", "TRUE", "tRuE"];
const FALSE = ["false", "False", "FALSE"];

describe("the cell reader", () => {
  it("reads every spelling", () => {
    for (const c of MISSING) expect(isMissingCell(c), c).toBe(true);
    for (const c of ["0", "none", "NAN", "Null", "-", "n.a."]) expect(isMissingCell(c), c).toBe(false);
    for (const c of POS_INF) expect(readNumber(c), c).toBe(Number.POSITIVE_INFINITY);
    for (const c of NEG_INF) expect(readNumber(c), c).toBe(Number.NEGATIVE_INFINITY);
    for (const [c, v] of [
      ["12", 12],
      ["-0.5", -0.5],
      [".5", 0.5],
      ["1e-3", 0.001],
      ["+7", 7],
      ["5.", 5],
    ] as const)
      expect(readNumber(c)).toBe(v);
    // Never what only JavaScript's Number() would take.
    for (const c of ["0x10", "0b1", "1_000", "1,5", "infinit", "12abc", " "])
      expect(readNumber(c), c).toBeUndefined();
    for (const c of TRUE) expect([readNumber(c), readBoolean(c)]).toEqual([1, true]);
    for (const c of FALSE) expect([readNumber(c), readBoolean(c)]).toEqual([0, false]);
    for (const [c, v] of [
      ["1", true],
      ["0", false],
      ["1.0", true],
      ["0.0", false],
    ] as const)
      expect(readBoolean(c)).toBe(v);
    expect(readBoolean("2")).toBeUndefined();
  });

  it("reads a cell as the field's type; what does not read stays text for the encoder to name", () => {
    const num = cellReader({ name: "x", type: "number", nullable: true });
    const bool = cellReader({ name: "b", type: "boolean", nullable: true });
    const cat: FieldSpec = {
      name: "rooms",
      type: "category",
      nullable: true,
      values: ["1", "2", "x"],
      unknown: "error",
      encoding: { kind: "native", column: "rooms" },
    };
    const rooms = cellReader(cat);
    expect(MISSING.map((c) => [num(c), bool(c), rooms(c)])).toEqual(MISSING.map(() => [null, null, null]));
    expect([num("-Infinity"), num("True"), num("two"), num(undefined)]).toEqual([
      Number.NEGATIVE_INFINITY,
      1,
      "two",
      null,
    ]);
    expect([bool("TRUE"), bool("0"), bool("yes")]).toEqual([true, false, "yes"]);
    expect([rooms("2"), rooms("2.0"), rooms("x"), rooms("3"), rooms("inf")]).toEqual([
      "2",
      "2",
      "x",
      "3",
      "inf",
    ]);
  });
});

/** A plain and an oddly spelled CSV of the same values: missing, infinities and booleans. */
function twoSpellings(
  header: string[],
  rows: (number | boolean | string | null)[][],
): { plain: string; odd: string } {
  let k = 0;
  const plainCell = (v: number | boolean | string | null) =>
    v === null
      ? ""
      : v === Number.POSITIVE_INFINITY
        ? "inf"
        : v === Number.NEGATIVE_INFINITY
          ? "-inf"
          : String(v);
  const oddCell = (v: number | boolean | string | null) => {
    k++;
    if (v === null) return MISSING[k % MISSING.length];
    if (v === Number.POSITIVE_INFINITY) return POS_INF[k % POS_INF.length];
    if (v === Number.NEGATIVE_INFINITY) return NEG_INF[k % NEG_INF.length];
    if (v === true) return TRUE[k % TRUE.length];
    if (v === false) return FALSE[k % FALSE.length];
    return String(v);
  };
  const csv = (cell: (v: number | boolean | string | null) => string) =>
    `${[header.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n")}\n`;
  return { plain: csv(plainCell), odd: csv(oddCell) };
}

describe("lgbm predict, train and drift read both spellings the same", () => {
  it("lgbm predict on a bare model: LightGBM's values for NaN, ±Infinity and booleans as 1/0", async () => {
    const c = loadZooCase("binary");
    const model = await Model.load(c.modelFile);
    const names = model.info.featureNames;
    const rows: (number | boolean | null)[][] = [];
    const matrix: number[] = [];
    for (let r = 0; r < 40; r++) {
      const row = names.map((_, i) => {
        const v = c.X[r * c.ncol + i];
        const pick = (r * 7 + i) % 9;
        if (pick === 0 || Number.isNaN(v)) return null;
        if (pick === 1) return Number.POSITIVE_INFINITY;
        if (pick === 2) return Number.NEGATIVE_INFINITY;
        if (pick === 3) return (r + i) % 2 === 0;
        return v;
      });
      rows.push(row);
      for (const v of row) matrix.push(v === null ? Number.NaN : v === true ? 1 : v === false ? 0 : v);
    }
    const want = Array.from(model.predict(Float64Array.from(matrix), { type: "raw" }));
    model.dispose();
    const { plain, odd } = twoSpellings(names, rows);
    expect(odd).toMatch(/Infinity/);
    for (const [name, text] of Object.entries({ plain, odd })) {
      writeFileSync(join(tmp, `${name}.csv`), text);
      const { stdout } = await lgbm(
        "predict",
        "-m",
        c.modelFile,
        "-i",
        join(tmp, `${name}.csv`),
        "-t",
        "raw",
      );
      expect(stdout.trim().split("\n").slice(1).map(Number), name).toEqual(want);
    }
  });

  it("lgbm train makes the same model and fields from both; lgbm drift reports the same on both", async () => {
    const header = ["x", "flag", "color", "n", "y"];
    const rows: (number | boolean | string | null)[][] = [];
    for (let r = 0; r < 300; r++) {
      const x =
        r % 17 === 0
          ? null
          : r % 29 === 0
            ? Number.POSITIVE_INFINITY
            : r % 31 === 0
              ? Number.NEGATIVE_INFINITY
              : (r * 37) % 101;
      const flag = r % 13 === 0 ? null : r % 3 === 0;
      const color = r % 11 === 0 ? null : ["red", "green", "blue"][r % 3];
      const n = r % 19 === 0 ? null : r % 7;
      const y =
        (typeof x === "number" && Number.isFinite(x) && x > 50 ? 1 : 0) ^
        (flag === true && r % 5 === 0 ? 1 : 0);
      rows.push([x, flag, color, n, y]);
    }
    const { plain, odd } = twoSpellings(header, rows);
    const specs: Record<string, unknown>[] = [];
    const models: string[] = [];
    const drifts: unknown[] = [];
    for (const [name, text] of Object.entries({ plain, odd })) {
      const data = join(tmp, `train-${name}.csv`);
      writeFileSync(data, text);
      const out = join(tmp, `bundle-${name}`);
      await lgbm(
        "train",
        "-d",
        data,
        "-t",
        "y",
        "--param",
        "num_iterations=5",
        "--param",
        "num_threads=1",
        "--param",
        "min_data_in_leaf=5",
        "-o",
        out,
      );
      const spec = JSON.parse(readFileSync(join(out, "spec.json"), "utf8"));
      specs.push({ fields: spec.fields, reference: spec.reference, metrics: spec.training.metrics });
      models.push(readFileSync(join(out, "model.txt"), "utf8"));
      const { stdout } = await lgbm("drift", "--bundle", out, "--log", data, "--json");
      const report = JSON.parse(stdout);
      drifts.push({ fields: report.fields, prediction: report.prediction, lines: report.lines });
    }
    expect(specs[1]).toEqual(specs[0]);
    expect(models[1]).toBe(models[0]);
    expect(drifts[1]).toEqual(drifts[0]);
    const fields = (specs[0] as { fields: FieldSpec[] }).fields;
    expect(fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ["x", "number", true],
      ["flag", "boolean", true],
      ["color", "category", true],
      ["n", "integer", true],
    ]);
    // Infinite values read as numbers, booleans as booleans, missing spellings as missing: none unknown.
    const report = drifts[0] as { fields: { name: string; unknownShare: number; missingShare: number }[] };
    const x = report.fields.find((f) => f.name === "x")!;
    expect(x.unknownShare).toBe(0);
    expect(x.missingShare).toBeCloseTo(18 / 300, 10);
    for (const [name, missing] of [
      ["flag", 24],
      ["color", 28],
    ] as const) {
      const f = report.fields.find((f) => f.name === name)!;
      expect(f.unknownShare, name).toBe(0);
      expect(f.missingShare, name).toBeCloseTo(missing / 300, 6); // the report rounds shares
    }
    // lgbm predict with the bundle: the odd spellings of a boolean and a one-hot field (and of missing
    // values and infinities) predict what the plain ones do; a misread cell would be refused or differ.
    expect(fields[2]).toMatchObject({ encoding: { kind: "onehot" } });
    const bundle = join(tmp, "bundle-plain");
    const outputs: string[] = [];
    for (const name of ["plain", "odd"]) {
      const { stdout } = await lgbm("predict", "-m", bundle, "-i", join(tmp, `train-${name}.csv`));
      outputs.push(stdout);
    }
    expect(outputs[1]).toBe(outputs[0]);
    const [head, ...lines] = outputs[0].trim().split("\n");
    expect(head).toBe("prediction,probability");
    const probabilities = lines.map((l) => Number(l.split(",")[1]));
    expect(probabilities).toHaveLength(300);
    expect(new Set(probabilities).size).toBeGreaterThan(1);
  });
});
