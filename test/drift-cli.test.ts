// Drift end to end: a simulated drifting log made from the shipped training data, the real CLI in a
// child process, and the analysis library on the same files.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../src/drift/analyze.js";
import type { DriftReport } from "../src/drift/report.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const bin = join(root, "bin/lgbm.js");
const bundle = join(root, "models/hr-attrition");
const dataCsv = join(bundle, "data/hr.csv");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-drift-"));

type Row = Record<string, string>;

function readCsv(file: string): { header: string[]; rows: Row[] } {
  const [head, ...lines] = readFileSync(file, "utf8").trim().split(/\r?\n/);
  const header = head.split(",");
  return { header, rows: lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v]))) };
}

const { header, rows } = readCsv(dataCsv);
const SHIFTED = ["satisfaction_level", "salary"];

/** The training data, drifted: satisfaction − 0.3 (floored at 0) and every salary "low". */
function shift(r: Row): Row {
  return { ...r, satisfaction_level: String(Math.max(0, Number(r.satisfaction_level) - 0.3)), salary: "low" };
}

function typed(r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = k === "sales" || k === "salary" ? v : Number(v);
  delete out.left;
  return out;
}

function writeRowsCsv(name: string, data: Row[]): string {
  const file = join(tmp, name);
  writeFileSync(
    file,
    `${header.join(",")}\n${data.map((r) => header.map((h) => r[h]).join(",")).join("\n")}\n`,
  );
  return file;
}

/** A prediction log as the server writes it (outputs omitted: drift predicts them with the bundle). */
function writeLog(name: string, data: Row[], start: Date): string {
  const file = join(tmp, name);
  const lines = data.map((r, i) =>
    JSON.stringify({
      time: new Date(start.getTime() + i * 1000).toISOString(),
      request_id: `req-${i}`,
      model: "hr-attrition",
      version: "1",
      route: "/v1/models/hr-attrition/predict",
      latency_ms: 0.4,
      row: 0,
      input: typed(r),
    }),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function flags(report: DriftReport): Record<string, string> {
  return Object.fromEntries(report.fields.map((f) => [f.name, f.flag]));
}

const fieldNames = header.filter((h) => h !== "left");

describe("lgbm drift", () => {
  it("the unshifted training data flags nothing", async () => {
    const report = await analyzeFile(bundle, dataCsv);
    expect(report.rows).toBe(rows.length);
    expect(report.fields.map((f) => f.name).sort()).toEqual([...fieldNames].sort());
    for (const f of report.fields) {
      expect(f.flag, f.name).toBe("ok");
      expect(f.psi, f.name).toBeLessThan(0.02);
      if (f.kind === "numeric") expect(f.ks, f.name).toBeLessThan(0.02);
    }
    expect(report.prediction?.flag).toBe("ok");
    expect(report.summary).toMatchObject({
      fields: fieldNames.length,
      ok: fieldNames.length,
      warn: 0,
      drift: 0,
    });
  });

  it("a shifted records CSV flags the shifted fields as drift and the others ok (CLI, --json)", async () => {
    const file = writeRowsCsv("shifted.csv", rows.map(shift));
    const { stdout, stderr } = await run(
      process.execPath,
      [bin, "drift", "--bundle", bundle, "--log", file, "--json"],
      {
        maxBuffer: 16 << 20,
      },
    );
    // Not a TTY: no progress bar, nothing on stderr.
    expect(stderr).toBe("");
    const report = JSON.parse(stdout) as DriftReport;
    const f = flags(report);
    for (const name of fieldNames) expect(f[name], name).toBe(SHIFTED.includes(name) ? "drift" : "ok");
    // Worst first, and the shifted fields are the worst two.
    expect(
      report.fields
        .slice(0, 2)
        .map((x) => x.name)
        .sort(),
    ).toEqual([...SHIFTED].sort());
    const sat = report.fields.find((x) => x.name === "satisfaction_level")!;
    expect(sat.ks).toBeGreaterThan(0.3);
    expect(report.fields.find((x) => x.name === "salary")!.bins.find((b) => b.label === "low")!.live).toBe(1);
    // Lower satisfaction raises attrition: the prediction distribution moves too.
    expect(report.prediction?.flag).toBe("drift");
  });

  it("reads a JSON-lines prediction log, honours --since and --fail-on", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    // First the normal data, then the drifted data an hour later.
    // Every 5th row: a sample of the whole file (hr.csv is sorted by the label, its head is not).
    const half = rows.filter((_, i) => i % 5 === 0).slice(0, 3000);
    const file = join(tmp, "predictions.jsonl");
    const a = readFileSync(writeLog("a.jsonl", half, start), "utf8");
    const b = readFileSync(
      writeLog("b.jsonl", half.map(shift), new Date(start.getTime() + 3_600_000 * 2)),
      "utf8",
    );
    writeFileSync(file, `${a + b}not json\n`);

    const all = await analyzeFile(bundle, file);
    expect(all.lines).toMatchObject({ kept: 6000, skipped: 1 });

    const later = await analyzeFile(bundle, file, { since: new Date(start.getTime() + 3_600_000) });
    expect(later.rows).toBe(3000);
    const f = flags(later);
    for (const name of fieldNames) expect(f[name], name).toBe(SHIFTED.includes(name) ? "drift" : "ok");

    const early = writeLog("early.jsonl", half, start);
    const ok = await run(process.execPath, [bin, "drift", "-b", bundle, "-l", early, "--fail-on", "warn"]);
    expect(ok.stdout).toMatch(/satisfaction_level\s+ok/);
    const failed = await run(process.execPath, [
      bin,
      "drift",
      "-b",
      bundle,
      "-l",
      file,
      "--since",
      "2026-01-01T01:00:00Z",
      "--fail-on",
      "drift",
    ]).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(failed).toBe(3);
  });

  it("reads rotated logs in order (--log repeated)", async () => {
    const sample = rows.filter((_, i) => i % 5 === 1).slice(0, 1500);
    const older = writeLog("predictions.jsonl.1", sample, new Date("2026-01-01T00:00:00Z"));
    const newer = writeLog("predictions.jsonl", sample.map(shift), new Date("2026-01-02T00:00:00Z"));
    const { stdout } = await run(
      process.execPath,
      [bin, "drift", "-b", bundle, "-l", older, "-l", newer, "--json"],
      {
        maxBuffer: 16 << 20,
      },
    );
    const report = JSON.parse(stdout) as DriftReport & { lines: { kept: number } };
    expect(report.lines.kept).toBe(3000);
    const sat = report.fields.find((x) => x.name === "salary")!;
    expect(sat.bins.find((b) => b.label === "low")!.live).toBeGreaterThan(0.7);
  });

  it("counts unknown categories and missing values; thresholds are configurable", async () => {
    const odd = rows
      .filter((_, i) => i % 7 === 0)
      .slice(0, 2000)
      .map((r, i) => ({
        ...r,
        sales: i % 2 ? "astronaut" : r.sales,
        last_evaluation: i % 4 ? r.last_evaluation : "",
      }));
    const file = writeRowsCsv("odd.csv", odd);
    const report = await analyzeFile(bundle, file);
    const sales = report.fields.find((x) => x.name === "sales")!;
    expect(sales.unknownShare).toBe(0.5);
    expect(sales.flag).toBe("drift");
    const le = report.fields.find((x) => x.name === "last_evaluation")!;
    expect(le.missingShare).toBe(0.25);
    // Rows the model rejects (unknown sales; last_evaluation is not nullable) are counted, not fatal.
    expect(report.lines.unpredictable).toBe(1500);

    const mild = writeRowsCsv(
      "mild.csv",
      rows.map((r) => ({ ...r, satisfaction_level: String(Number(r.satisfaction_level) - 0.05) })),
    );
    const strict = await analyzeFile(bundle, mild, { thresholds: { warn: 0.01, drift: 0.02 } });
    const lax = await analyzeFile(bundle, mild, { thresholds: { warn: 5, drift: 10 } });
    expect(strict.fields.find((x) => x.name === "satisfaction_level")!.flag).toBe("drift");
    expect(lax.fields.find((x) => x.name === "satisfaction_level")!.flag).toBe("ok");
  });

  it("a bundle without reference statistics is refused with one clear line", async () => {
    const bare = join(tmp, "no-reference");
    mkdirSync(bare);
    copyFileSync(join(bundle, "model.txt"), join(bare, "model.txt"));
    const spec = JSON.parse(readFileSync(join(bundle, "spec.json"), "utf8"));
    delete spec.reference;
    writeFileSync(join(bare, "spec.json"), JSON.stringify(spec));
    const err = await run(process.execPath, [bin, "drift", "-b", bare, "-l", dataCsv]).then(
      () => "",
      (e: { stderr: string }) => e.stderr,
    );
    expect(err).toMatch(/no reference statistics.*lgbm train/);
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("rejects inconsistent thresholds with one clear line", async () => {
    const err = await run(process.execPath, [
      bin,
      "drift",
      "-b",
      bundle,
      "-l",
      dataCsv,
      "--warn",
      "0.5",
      "--drift",
      "0.2",
    ]).then(
      () => "",
      (e: { stderr: string }) => e.stderr,
    );
    expect(err).toMatch(/warn <= drift/);
    expect(err.trim().split("\n")).toHaveLength(1);
  });
});
