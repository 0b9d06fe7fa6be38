// `node bench/run.mjs --quick` against dist/ (built by pretest): it must exit 0, check that the engines
// agree, and print the table. Timings are never asserted (CI machines are noisy).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const rootDir = join(import.meta.dirname, "..");

it("bench/run.mjs --quick runs, checks agreement and prints the table", async () => {
  const out = mkdtempSync(join(tmpdir(), "lgbm-bench-"));
  const { stdout, stderr } = await run(
    process.execPath,
    [join(rootDir, "bench/run.mjs"), "--quick", "--out", out],
    {
      cwd: rootDir,
      maxBuffer: 16 << 20,
      timeout: 120_000,
    },
  );
  expect(stdout).toContain("# Engine benchmark (quick)");
  expect(stdout).toMatch(
    /\| batch \| engine \| rows\/s \| p50 ms \| p99 ms \| vs native-1t \| vs native-all \|/,
  );
  for (const engine of ["native-1t", "js", "onnx-1t"]) expect(stdout).toContain(`| ${engine} |`);
  expect(stdout).toContain("## js engine targets");
  expect(stderr).not.toMatch(/FAIL|disagree/);
  const report = JSON.parse(readFileSync(join(out, "engines.json"), "utf8"));
  expect(report.quick).toBe(true);
  for (const m of report.models)
    for (const a of m.agreement) expect(a.pass, `${m.model} ${a.engine}`).toBe(true);
  expect(existsSync(join(out, "engines.md"))).toBe(true);
});
