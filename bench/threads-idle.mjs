#!/usr/bin/env node
// Two threads around idle spells, shipped model (docs/compiled-engine.md, "What is not reached"):
// 1. A loop of 2-thread batches that starts after the process slept, against one that starts after the
//    caller's own one-thread work: rows/s in 10 ms windows over 150 ms, over the one-thread loop's in the
//    same windows (medians of the rounds). After a sleep, the worker is woken onto the caller's vCPU here
//    and the two take turns there until the scheduler moves them apart.
// 2. CPU time a 2-thread engine burns in the 100 ms after its last call (the default engine's workers
//    sleep; onnxruntime's intra-op threads spin), which lands on whatever runs next.
//   node bench/threads-idle.mjs [--rows 1000] [--rounds 10] [--idle 300]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hrRows, root, shippedModelFile } from "./lib/models.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg("rows", 1000);
const rounds = arg("rounds", 10);
const idleMs = arg("idle", 300);
const WINDOW_MS = 10;
const LOOP_MS = 150;
/** The slow start is read over the first 50 ms, in windows. */
const START_WINDOWS = 50 / WINDOW_MS;

const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const { OnnxEngine } = await import(join(root, "dist/engines/onnx/engine.js"));
const text = readFileSync(shippedModelFile(), "utf8");
const data = await hrRows(n);
const one = NativeEngine.fromString(text, { numThreads: 1 });
const two = NativeEngine.fromString(text, { numThreads: 2 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let i = 0; i < 1000; i++) {
  one.predict(data, n);
  two.predict(data, n);
}

/** rows/s (M) of a loop of `engine`'s batches in consecutive windows. */
function windows(engine) {
  const out = [];
  const start = performance.now();
  let t0 = start;
  let calls = 0;
  while (performance.now() - start < LOOP_MS) {
    engine.predict(data, n);
    calls++;
    const t = performance.now();
    if (t - t0 >= WINDOW_MS) {
      out.push((calls * n) / (t - t0) / 1000);
      calls = 0;
      t0 = t;
    }
  }
  return out;
}

const curves = {};
for (const before of ["sleep", "one-thread work"]) {
  const runs = { one: [], two: [] };
  for (let r = 0; r < rounds; r++) {
    const pair = [
      ["one", one],
      ["two", two],
    ];
    for (const [key, engine] of r % 2 ? pair.reverse() : pair) {
      if (before === "sleep") await sleep(idleMs);
      else for (const t = performance.now(); performance.now() - t < idleMs; ) one.predict(data, n);
      runs[key].push(windows(engine));
    }
  }
  const width = Math.min(...[...runs.one, ...runs.two].map((w) => w.length));
  const at = (key, j) => median(runs[key].map((w) => w[j]));
  curves[before] = Array.from({ length: width }, (_, j) => at("two", j) / at("one", j));
}

const onnx = await OnnxEngine.fromString(text, { numThreads: 2 });
const tails = {};
for (const [name, engine] of [
  ["native, 2 threads", two],
  ["onnxruntime, 2 threads", onnx],
]) {
  for (let i = 0; i < 200; i++) await engine.predict(data, n, { numThreads: 2 });
  const c0 = process.cpuUsage();
  await sleep(100);
  const c = process.cpuUsage(c0);
  tails[name] = (c.user + c.system) / 1000;
}
one.dispose();
two.dispose();
onnx.dispose?.();

console.log(
  `2 threads / 1 thread, ${n}-row batches in a loop, per ${WINDOW_MS} ms window (medians of ${rounds} rounds):`,
);
for (const [before, curve] of Object.entries(curves)) {
  const first = curve.slice(0, START_WINDOWS);
  const rest = curve.slice(START_WINDOWS);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `  after ${idleMs} ms of ${before.padEnd(15)} ${curve.map((x) => x.toFixed(2)).join(" ")}  (first 50 ms ${mean(first).toFixed(2)}x, then ${mean(rest).toFixed(2)}x)`,
  );
}
console.log("CPU time in the 100 ms after the last call (the process sleeps):");
for (const [name, ms] of Object.entries(tails)) console.log(`  ${name.padEnd(24)} ${ms.toFixed(1)} ms`);
process.exit(0);
