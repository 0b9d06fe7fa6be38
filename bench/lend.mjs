#!/usr/bin/env node
// Two threads with rows lent to the worker (native/row_loan.h: each thread copies the blocks it takes)
// against the caller copying every row in, and one thread, head to head in one process on the shipped
// model's hr rows (or the large bench model's rows, --model large): rounds of 30 ms in a rotating order,
// the two 2-thread configurations on one pool (its lender switched off for the second, so both share one
// worker and its caches). Outputs are compared first (must be identical). Reports rows/s (best, median
// round), the median of per-round ratios, which cancels slow drifts of the host but not one vCPU
// running slower than the other, and the share of blocks the caller ran, which shows that one.
//   node bench/lend.mjs [--rows 1000] [--rounds 60] [--model shipped|large]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hrRows, largeModelFile, root, shippedModelFile, syntheticRows } from "./lib/models.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg("rows", 1000);
const large = process.argv.includes("large");
const rounds = arg("rounds", 60);
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));

const modelFile = large
  ? await largeModelFile({ log: (m) => process.stderr.write(`${m}\n`) })
  : shippedModelFile();
// the large model's rows as the engine bench makes them
const X = large ? syntheticRows(n, 40, 3) : await hrRows(n);
const text = readFileSync(modelFile, "utf8");
const one = NativeEngine.fromString(text, { numThreads: 1 });
const two = NativeEngine.fromString(text, { numThreads: 2 });
two.predict(X, n);
// internal: the engine's pool and its lender (switching it off makes the caller copy every row in)
const pool = two.compiledPath.pool;
// a big module is never lent by default (LEND_MAX_ROWS): lent here, to measure it
const lender = pool.host.lender;
pool.lender = lender;
const copying = (opts) => {
  pool.lender = undefined;
  try {
    return two.predict(X, n, opts);
  } finally {
    pool.lender = lender;
  }
};
// the share of the 2-thread batches' blocks the caller ran: near a half when both vCPUs keep the same pace,
// more when the worker's vCPU runs slower (a host's neighbour on its core, or the caller's own core)
const share = { blocks: 0, byCaller: 0 };
const counted = (f) => () => {
  const y = f();
  share.blocks += pool.lastJob.blocks;
  share.byCaller += pool.lastJob.byCaller;
  return y;
};
const configs = [
  ["1 thread", () => one.predict(X, n)],
  ["2 threads, rows lent", counted(() => two.predict(X, n))],
  ["2 threads, caller copies", counted(() => copying())],
];
const want = one.predict(X, n);
for (const [name, f] of configs) {
  const got = f();
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) throw new Error(`${name}: row ${i} differs`);
}
const round = (f) => {
  let reps = 0;
  const t0 = performance.now();
  let t;
  do {
    f();
    reps++;
    t = performance.now() - t0;
  } while (t < 30);
  return (reps * n * 1000) / t;
};
const times = configs.map(() => []);
for (let r = 0; r < rounds + 10; r++) {
  for (let j = 0; j < configs.length; j++) {
    const c = (j + r) % configs.length;
    const rate = round(configs[c][1]);
    if (r >= 10) times[c].push(rate);
  }
}
one.dispose();
two.dispose();
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const M = (x) => `${(x / 1e6).toFixed(2)}M`;
console.log(`${large ? "large" : "shipped"} model, ${n} rows, ${rounds} rounds; rows/s best (median round)`);
for (let c = 0; c < configs.length; c++)
  console.log(`  ${configs[c][0]}: ${M(Math.max(...times[c]))} (${M(median(times[c]))})`);
const ratio = (a, b) => median(times[a].map((x, i) => x / times[b][i])).toFixed(3);
console.log(
  `  2 threads / 1 thread, median of per-round ratios: lent ${ratio(1, 0)}x, caller copies ${ratio(2, 0)}x`,
);
console.log(`  lent / caller copies, median of per-round ratios: ${ratio(1, 2)}x`);
console.log(
  `  blocks of the 2-thread batches the caller ran: ${((100 * share.byCaller) / share.blocks).toFixed(0)}%`,
);
