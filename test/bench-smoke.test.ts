// `node bench/run.mjs --quick` against dist/ (built by pretest): it must exit 0, check that every contender
// agrees with LightGBM (the compiled engines and the gcc baseline bit for bit), and print the tables.
// Timings are never asserted (CI machines are noisy).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const rootDir = join(import.meta.dirname, "..");

it("bench/run.mjs --quick runs, checks agreement and prints the tables", async () => {
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
  expect(stdout).toContain("## Goals");
  expect(stdout).toMatch(/\| batch \| native-1t \| (native-2t \| )?native-lightgbm-1t \| wasm-1t \|/);
  for (const engine of ["native-1t", "wasm-1t", "js", "onnx-1t", "capi-1t"])
    expect(stdout).toContain(`| ${engine} |`);
  expect(stdout).toContain("Load and memory");
  expect(stderr).not.toMatch(/FAIL|disagree/);
  const report = JSON.parse(readFileSync(join(out, "engines.json"), "utf8"));
  expect(report.quick).toBe(true);
  for (const m of report.models) {
    for (const a of m.agreement) expect(a.pass, `${m.model} ${a.engine}`).toBe(true);
    const native = m.agreement.find((a: { engine: string }) => a.engine === "native-1t");
    expect(native.raw.identical).toBe(1);
    expect(native.normal.identical).toBe(1);
  }
  expect(report.goals.length).toBeGreaterThan(0);
  // two one-thread engines at once, measured beside the 2-thread goals (a control: never "not met")
  if (availableParallelism() >= 2) {
    const controls = report.goals.filter((g: { control?: boolean }) => g.control);
    expect(controls.length).toBe(report.models.length);
    for (const c of controls) {
      expect(c.batch).toBe(1000);
      expect(c.value).toBeGreaterThan(0.5);
      expect(c.met).toBe(true);
    }
    expect(stdout).toMatch(
      /\| control, not a goal: two one-thread engines at once.* \| 1000 \| [\d.]+x \| [\d.]+x \| control \|/,
    );
  }
  expect(existsSync(join(out, "engines.md"))).toBe(true);
});

// the probe of what the host gives each vCPU (bench/vcpus.mjs; it says when it cannot run: no taskset, or
// one CPU, and the integer loop needs gcc too)
it("bench/vcpus.mjs measures each vCPU alone, then both at once", async (ctx) => {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [join(rootDir, "bench/vcpus.mjs")], {
      cwd: rootDir,
      timeout: 60_000,
    }));
  } catch (e) {
    if (/needs Linux, taskset/.test(String((e as { stderr?: string }).stderr))) return ctx.skip();
    throw e;
  }
  const walk = /tree walk cpu0 ([\d.]+), cpu1 ([\d.]+) M rows\/s alone, both at once ([\d.]+)x/.exec(stdout);
  expect(walk, stdout).not.toBeNull();
  const loop = /integer loop cpu0 ([\d.]+), cpu1 ([\d.]+) M iterations\/s alone, both at once ([\d.]+)x/.exec(
    stdout,
  );
  for (const m of loop ? [walk, loop] : [walk]) {
    const [cpu0, cpu1, together] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
    expect(cpu0).toBeGreaterThan(0);
    expect(cpu1).toBeGreaterThan(0);
    // two at once do at least some of one's work and at most two full cores' (with noise)
    expect(together).toBeGreaterThan(0.3);
    expect(together).toBeLessThan(2.6);
  }
});

// the bench's wait before a 2-thread cell: two full vCPUs means each alone within 15% of the other and
// both at once at 1.8x or more; a wait that never finds them ends at its limit and says so
it("the bench's host gate: what counts as two full vCPUs, and a wait that gives up at its limit", async (ctx) => {
  const { awaitTwoFullVcpus, twoFullVcpus, vcpuProbeAvailable } = await import(
    join(rootDir, "bench/lib/vcpus.mjs")
  );
  const probe = (alone: number[], together: number) => ({
    loop: null,
    walk: { alone, both: alone, together },
  });
  expect(twoFullVcpus(probe([3.4, 3.2], 1.9))).toBe(true);
  expect(twoFullVcpus(probe([3.4, 1.6], 1.9))).toBe(false); // one vCPU slowed
  expect(twoFullVcpus(probe([3.4, 3.3], 1.5))).toBe(false); // both at once fall short
  expect(twoFullVcpus(probe([3.4, 2.9], 1.8))).toBe(true);
  if (!vcpuProbeAvailable()) return ctx.skip();
  const waits: number[] = [];
  const r = await awaitTwoFullVcpus(0, (_p: unknown, s: number) => waits.push(s));
  expect(r.waited).toBeGreaterThan(0);
  expect(r.quiet).toBe(twoFullVcpus(r.probe));
  expect(waits).toEqual([]); // a limit of 0: one probe, no waiting
}, 60_000);
