// LightGBM's OpenMP threads sleep while they wait (OMP_WAIT_POLICY=passive unless the user chose), and
// bench/threads-busy.mjs (the default against its threads and LightGBM's own predictor on one thread and all
// cores, with a CPU burner), bench/threads-idle.mjs (two threads after idle spells) and bench/ab-builds.mjs
// (two builds head to head) run. Timings are never asserted here: the bench's table is in the README.
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const LOAD = `const { loadBinding } = await import(${JSON.stringify(join(ROOT, "dist/native/binding.js"))});
loadBinding();
console.log("after:" + process.env.OMP_WAIT_POLICY);`;

/** libgomp's own report of its settings (OMP_DISPLAY_ENV), printed when the addon loads it. */
function openmpAt(env: Record<string, string>): { policy?: string; spin?: string; after: string } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", LOAD], {
    encoding: "utf8",
    env: {
      ...process.env,
      OMP_WAIT_POLICY: undefined,
      GOMP_SPINCOUNT: undefined,
      OMP_DISPLAY_ENV: "verbose",
      ...env,
    },
  });
  const out = `${r.stdout}${r.stderr}`; // libgomp prints to stderr
  return {
    policy: /OMP_WAIT_POLICY = '(\w+)'/.exec(out)?.[1],
    // what decides whether a waiting thread spins (libgomp's default, with no policy set, is 300000)
    spin: /GOMP_SPINCOUNT = '(\d+)'/.exec(out)?.[1],
    after: /after:(\S+)/.exec(out)![1],
  };
}

describe("OpenMP wait policy", () => {
  it("LightGBM's threads wait passively, and the setting does not stay in process.env", () => {
    expect(openmpAt({})).toEqual({ policy: "PASSIVE", spin: "0", after: "undefined" });
  });

  it("a policy the user set is kept", () => {
    expect(openmpAt({ OMP_WAIT_POLICY: "active" })).toMatchObject({ policy: "ACTIVE", after: "active" });
    expect(openmpAt({ GOMP_SPINCOUNT: "1000" })).toMatchObject({ spin: "1000", after: "undefined" });
  });
});

it("bench/threads-busy.mjs runs (quick) and prints the comparison", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, "bench/threads-busy.mjs"), "--rows", "100", "--rounds", "3"],
    { cwd: ROOT, timeout: 120_000 },
  );
  expect(stdout).toMatch(
    /\| host \| rows \| default \(compiled, 1 thread\) \| compiled, \d threads \| LightGBM 1 thread \| LightGBM \d threads \(passive wait\) \|/,
  );
  expect(stdout).toMatch(/\| busy \(\d burners?\) \| 100 \|/);
  expect(stdout).toMatch(/\| no burner \| 100 \|/);
}, 120_000);

it("bench/threads-idle.mjs runs (quick) and prints the slow start and each engine's CPU after its last call", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, "bench/threads-idle.mjs"), "--rounds", "2", "--idle", "20"],
    { cwd: ROOT, timeout: 120_000 },
  );
  const curve = (before: string) =>
    new RegExp(
      `after 20 ms of ${before} +(\\d+\\.\\d\\d )+ \\(first 50 ms \\d+\\.\\d\\dx, then \\d+\\.\\d\\dx\\)`,
    );
  expect(stdout).toMatch(curve("sleep"));
  expect(stdout).toMatch(curve("one-thread work"));
  expect(stdout).toMatch(/native, 2 threads +\d+\.\d ms/);
  expect(stdout).toMatch(/onnxruntime, 2 threads +\d+\.\d ms/);
}, 120_000);

it("bench/ab-builds.mjs pairs two builds' rounds and prints the per-pair ratio (dist against itself)", async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, "bench/ab-builds.mjs"), "dist", "dist", "--rows", "200", "--pairs", "6", "--ms", "5"],
    { cwd: ROOT, timeout: 120_000 },
  );
  const m =
    /200 rows, 2 thread\(s\), 6 pairs of 5 ms rounds: dist \/ dist median (\d+\.\d+)x, geometric mean (\d+\.\d+)x, quartiles [\d.]+-[\d.]+x; dist faster in (\d) of 6 pairs; best rounds [\d.]+M and [\d.]+M rows\/s/.exec(
      stdout,
    );
  expect(m, stdout).not.toBeNull();
  // one build against itself: a ratio near 1 (a wide band: the host is noisy)
  expect(Number(m![2])).toBeGreaterThan(0.5);
  expect(Number(m![2])).toBeLessThan(2);
  const usage = spawnSync(process.execPath, [join(ROOT, "bench/ab-builds.mjs"), "dist"], {
    encoding: "utf8",
  });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/usage: node bench\/ab-builds\.mjs/);
}, 120_000);
