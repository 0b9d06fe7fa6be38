// What the host gives each vCPU at the moment: a loop of independent integer adds (about four
// instructions a cycle, so a core shared with another busy hyperthread shows), pinned with taskset to each
// CPU alone, then to the first two at once. On a VM the host places vCPUs as it likes: a vCPU whose core's
// sibling runs another guest runs slower, and two vCPUs on siblings of one core share it; both change from
// minute to minute and bound what a second thread can add (docs/compiled-engine.md, "What is not reached").
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

const run = (cpu, seconds) =>
  new Promise((resolve, reject) =>
    execFile("taskset", ["-c", String(cpu), loopBinary(), String(seconds)], (err, out) =>
      err ? reject(err) : resolve(Number(out)),
    ),
  );

/** Whether the probe can run here: Linux, taskset, gcc and at least two CPUs. */
export function vcpuProbeAvailable() {
  if (process.platform !== "linux" || availableParallelism() < 2 || !gccAvailable()) return false;
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU 0 and CPU 1 alone, then both at once: millions of loop iterations a second each, and `together`,
 * the pair's sum over the faster one alone (2.0: two full cores; about 1.2: two hyperthreads of one core).
 */
export async function probeVcpus(seconds = 0.3) {
  const alone = [await run(0, seconds), await run(1, seconds)];
  const both = await Promise.all([run(0, seconds), run(1, seconds)]);
  return {
    alone: alone.map(Math.round),
    both: both.map(Math.round),
    together: Number(((both[0] + both[1]) / Math.max(...alone)).toFixed(2)),
  };
}

/** One line for a report. */
export const describeVcpus = (p) =>
  `cpu0 ${p.alone[0]}, cpu1 ${p.alone[1]} (M loop iterations/s alone), both at once ${p.together}x the faster one alone`;
