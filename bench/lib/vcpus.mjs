// What the host gives each vCPU at the moment, on two kinds of work: a loop of independent integer adds
// (about four instructions a cycle) and the default engine's tree walk on the shipped model's 1,000-row
// batch (branchy code whose speed comes from the branch predictor having learnt the rows). Each runs pinned
// with taskset to each CPU alone, then to the first two at once. On a VM the host places vCPUs as it
// likes, and another guest on a vCPU's core slows it; the tree walk shows it far more than the loop (at
// 04:16 on 2026-12-02: cpu1's walk at 0.42x cpu0's while its loop ran at 0.88x), and it changes from
// minute to minute. It bounds what a second thread can add (docs/compiled-engine.md, "What is not reached").
// The loop is C compiled with gcc at bench time (cached in bench/.cache): V8's code of the same loop runs
// at about one instruction a cycle and barely notices a shared core.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { gccAvailable } from "./gcc-baseline.mjs";
import { root } from "./models.mjs";

// prints millions of iterations of eight independent add chains a second, over argv[1] seconds
const LOOP_C = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
  double secs = atof(argv[1]), t0 = now();
  unsigned long a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5, a5 = 6, a6 = 7, a7 = 8, it = 0;
  while (now() - t0 < secs) {
    for (int i = 0; i < 100000; i++) {
      a0 += a1 ^ i; a1 += a2 ^ i; a2 += a3 ^ i; a3 += a4 ^ i; a4 += a5 ^ i; a5 += a6 ^ i; a6 += a7 ^ i; a7 += a0 ^ i;
      __asm__ volatile("" :: "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7));
    }
    it++;
  }
  printf("%.1f\\n", it * 0.1 / (now() - t0));
  return 0;
}
`;

let bin;
function loopBinary() {
  if (bin) return bin;
  const cache = join(root, "bench/.cache");
  mkdirSync(cache, { recursive: true });
  const key = createHash("sha256").update(LOOP_C).digest("hex").slice(0, 16);
  bin = join(cache, `vcpu-loop-${key}`);
  if (!existsSync(bin)) {
    const src = `${bin}.c`;
    writeFileSync(src, LOOP_C);
    execFileSync("gcc", ["-O2", "-o", bin, src], { stdio: "pipe" });
  }
  return bin;
}

const pinned = (cpu, command) =>
  new Promise((resolve, reject) =>
    execFile("taskset", ["-c", String(cpu), ...command], (err, out) =>
      err ? reject(err) : resolve(Number(out)),
    ),
  );
const WORKLOADS = {
  loop: (seconds) => [loopBinary(), String(seconds)],
  walk: (seconds) => [process.execPath, join(root, "bench/lib/walk-child.mjs"), String(seconds)],
};

/** Whether the probe can run here: Linux, taskset and at least two CPUs (the loop needs gcc too). */
export function vcpuProbeAvailable() {
  if (process.platform !== "linux" || availableParallelism() < 2) return false;
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One workload on CPU 0 alone, CPU 1 alone, then both at once. */
async function probe(workload, seconds) {
  const command = WORKLOADS[workload];
  const alone = [await pinned(0, command(seconds)), await pinned(1, command(seconds))];
  const both = await Promise.all([pinned(0, command(seconds)), pinned(1, command(seconds))]);
  const round = (x) => Number(x.toPrecision(3));
  return {
    alone: alone.map(round),
    both: both.map(round),
    together: Number(((both[0] + both[1]) / Math.max(...alone)).toFixed(2)),
  };
}

/**
 * Each workload (`loop`: M iterations/s, only where gcc is; `walk`: M rows/s) on CPU 0 and CPU 1 alone and
 * both at once; `together` is the pair's sum over the faster one alone (2: two full cores).
 */
export async function probeVcpus(seconds = 0.3) {
  return {
    loop: gccAvailable() ? await probe("loop", seconds) : null,
    walk: await probe("walk", seconds),
  };
}

/**
 * Whether a probe found two full vCPUs for the tree walk: each alone within 15% of the faster, and both at
 * once at 1.8x the faster alone or more. A 2-thread cell timed while the host slows one vCPU measures the
 * host (docs/compiled-engine.md, "What is not reached").
 */
export const twoFullVcpus = (p) =>
  Math.min(...p.walk.alone) >= 0.85 * Math.max(...p.walk.alone) && p.walk.together >= 1.8;

/**
 * Probes until twoFullVcpus or `maxSeconds` pass (a probe every few seconds); resolves with the last probe,
 * the seconds waited and whether the host was found so (`quiet`: false when the wait timed out).
 */
export async function awaitTwoFullVcpus(maxSeconds, onWait = () => {}) {
  const t0 = performance.now();
  for (;;) {
    const p = await probeVcpus();
    const waited = (performance.now() - t0) / 1000;
    if (twoFullVcpus(p)) return { probe: p, waited, quiet: true };
    if (waited >= maxSeconds) return { probe: p, waited, quiet: false };
    onWait(p, waited);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** One line for a report. */
export const describeVcpus = (p) =>
  [
    p.loop &&
      `integer loop cpu0 ${p.loop.alone[0]}, cpu1 ${p.loop.alone[1]} M iterations/s alone, both at once ${p.loop.together}x`,
    `tree walk cpu0 ${p.walk.alone[0]}, cpu1 ${p.walk.alone[1]} M rows/s alone, both at once ${p.walk.together}x`,
  ]
    .filter(Boolean)
    .join("; ");
