// `lgbm predict` and `lgbm inspect` as a user runs them: the real CLI in a child process, real files.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { firstDifference, loadZooCase } from "./helpers/zoo.js";

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../bin/lgbm.js");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-cli-"));

function lgbm(...args: string[]) {
  return run(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });
}

/** The zoo rows as a CSV with the columns reversed and an extra column the CLI must ignore. */
function writeCsv(name: string): string {
  const c = loadZooCase(name);
  const names = readFileSync(c.modelFile, "utf8")
    .match(/^feature_names=(.*)$/m)![1]
    .split(" ");
  const order = names.map((_, i) => i).reverse();
  const lines = [["ignored", ...order.map((i) => names[i])].join(",")];
  for (let r = 0; r < c.nrow; r++) {
    const cells = order.map((i) => {
      const v = c.X[r * c.ncol + i];
      return Number.isNaN(v) ? "" : String(v);
    });
    lines.push(["x", ...cells].join(","));
  }
  const file = join(tmp, `${name}.csv`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function parseOutput(stdout: string): { header: string[]; values: Float64Array } {
  const [head, ...rows] = stdout.trim().split("\n");
  return {
    header: head.split(","),
    values: Float64Array.from(
      rows.flatMap((r) => r.split(",")),
      Number,
    ),
  };
}

describe("lgbm predict", () => {
  it.each(["binary", "nan_missing", "multiclass", "cat_wide", "regression"])(
    "%s: every predict type equals LightGBM's output exactly",
    async (name) => {
      const c = loadZooCase(name);
      const csv = writeCsv(name);
      for (const type of ["raw", "normal", "leaf", "contrib"] as const) {
        const { stdout } = await lgbm("predict", "--model", c.modelFile, "--input", csv, "--type", type);
        const { header, values } = parseOutput(stdout);
        expect(firstDifference(values, c.expected[type]!), `${type}`).toBe(-1);
        expect(values.length).toBe(header.length * c.nrow);
      }
    },
  );

  it("writes --output files and streams large inputs", async () => {
    const c = loadZooCase("binary");
    const reps = 1000; // 100k+ rows through the streaming path
    const csv = readFileSync(writeCsv("binary"), "utf8").trim().split("\n");
    const big = join(tmp, "big.csv");
    writeFileSync(
      big,
      `${[csv[0], ...Array.from({ length: reps }, () => csv.slice(1)).flat()].join("\n")}\n`,
    );
    const out = join(tmp, "big-out.csv");
    await lgbm("predict", "-m", c.modelFile, "-i", big, "-o", out, "-t", "raw");
    const { header, values } = parseOutput(readFileSync(out, "utf8"));
    expect(header).toEqual(["raw"]);
    expect(values.length).toBe(c.nrow * reps);
    expect(firstDifference(values.subarray(values.length - c.nrow), c.expected.raw!)).toBe(-1);
  });

  it("a missing column is an error naming it", async () => {
    const c = loadZooCase("binary");
    const file = join(tmp, "missing.csv");
    writeFileSync(file, "a,b\n1,2\n");
    const err = await lgbm("predict", "-m", c.modelFile, "-i", file).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/Column_0: column is missing from the input CSV header/);
  });

  it("a non-numeric cell names the row and column", async () => {
    const c = loadZooCase("binary");
    const csv = readFileSync(writeCsv("binary"), "utf8").split("\n");
    csv[3] = csv[3].replace(/,([^,]*)$/, ",abc");
    const file = join(tmp, "bad.csv");
    writeFileSync(file, csv.join("\n"));
    const err = await lgbm("predict", "-m", c.modelFile, "-i", file).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/row 2: Column_0: expected a number, got "abc"/);
  });

  it("a bad --type is refused", async () => {
    const c = loadZooCase("binary");
    const err = await lgbm("predict", "-m", c.modelFile, "-i", writeCsv("binary"), "-t", "proba").catch(
      (e) => e,
    );
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/--type must be one of/);
  });
});

describe("lgbm inspect", () => {
  it("prints the model's metadata as JSON", async () => {
    const c = loadZooCase("multiclass");
    const { stdout } = await lgbm("inspect", "--model", c.modelFile, "--json");
    const info = JSON.parse(stdout);
    expect(info.numClasses).toBe(3);
    expect(info.numFeatures).toBe(c.ncol);
    expect(info.objective).toBe("multiclass");
    expect(info.engine).toBe("native");
    expect(info.lightgbm).toBe("4.7.0");
  });

  it("prints a human-readable summary", async () => {
    const c = loadZooCase("binary");
    const { stdout } = await lgbm("inspect", "--model", c.modelFile);
    expect(stdout).toMatch(/objective: +binary sigmoid:1/);
    expect(stdout).toMatch(/features \(\d+\):/);
  });
});
