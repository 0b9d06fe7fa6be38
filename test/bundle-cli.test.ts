// `lgbm predict` on the shipped bundle: a CSV of the original fields (text categories) in, named
// columns out, equal to LightGBM Python's predictions; bad cells are reported with their row.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const bundle = join(root, "models/hr-attrition");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-bundle-cli-"));

describe("lgbm predict on a bundle", () => {
  it("reads the original fields by name and writes prediction,probability equal to LightGBM Python", async () => {
    const [header, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
    // Columns reordered and the target kept: fields are matched by name, extra columns ignored.
    const names = header.split(",");
    const order = names.map((_, i) => i).reverse();
    const csv = [
      order.map((i) => names[i]).join(","),
      ...lines.map((l) => order.map((i) => l.split(",")[i]).join(",")),
    ];
    writeFileSync(join(tmp, "hr.csv"), `${csv.join("\n")}\n`);
    const { stdout } = await run(
      process.execPath,
      [bin, "predict", "-m", bundle, "-i", join(tmp, "hr.csv")],
      {
        maxBuffer: 64 << 20,
      },
    );
    const out = stdout.trim().split("\n");
    expect(out[0]).toBe("prediction,probability");
    const expected = readFileSync(join(root, "test/fixtures/hr/predictions.txt"), "utf8").trim().split("\n");
    expect(out).toHaveLength(expected.length + 1);
    out.slice(1).forEach((line, i) => {
      const p = Number(expected[i]);
      expect(line).toBe(`${p >= 0.5 ? 1 : 0},${String(p)}`);
    });
  });

  it("reports a bad cell with its row index, past the first chunk; exit code 1", async () => {
    const [header, ...lines] = readFileSync(join(bundle, "data/hr.csv"), "utf8").trim().split("\n");
    const rows = [...lines, ...lines];
    rows[20000] = rows[20000].replace(/,[a-z]+$/, ",astronaut");
    rows[20001] = rows[20001].replace(/^[^,]+,[^,]+,[^,]+/, (m) => m.replace(/,([^,]+)$/, ",two"));
    writeFileSync(join(tmp, "bad.csv"), `${[header, ...rows].join("\n")}\n`);
    const err = (await run(process.execPath, [
      bin,
      "predict",
      "-m",
      bundle,
      "-i",
      join(tmp, "bad.csv"),
      "-o",
      join(tmp, "o.csv"),
    ]).catch((e) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('row 20000: salary: expected one of high, low, medium, got "astronaut"');
    expect(err.stderr).toContain('row 20001: number_project: expected an integer, got "two"');
  });
});
