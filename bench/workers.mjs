// Speed-up of the worker_threads pool (examples/worker-pool) over one thread, on the shipped model.
//   node bench/workers.mjs [--rows 200000] [--workers 2] [--engine native|js] [--rounds 5]
// Both sides use one LightGBM thread per call (numThreads=1), so the pool's gain is its own: the main
// thread predicts the whole matrix; the pool splits it into one chunk per worker.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Model } from "lightgbm-node";
import { ModelPool } from "../examples/worker-pool/pool.mjs";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    workers: { type: "string", default: "2" },
    engine: { type: "string", default: "native" },
    rounds: { type: "string", default: "5" },
  },
});
const rows = Number(values.rows);
const size = Number(values.workers);
const rounds = Number(values.rounds);
const bundle = new URL("../models/hr-attrition", import.meta.url).pathname;

const model = await Model.load(bundle, { engine: values.engine, numThreads: 1 });
const ncol = model.info.numFeatures;
// Rows sampled (with a fixed LCG) from the encoded training data.
const [head, ...lines] = (await import("node:fs"))
  .readFileSync(`${bundle}/data/hr.csv`, "utf8")
  .trim()
  .split("\n");
const cols = head.split(",");
const records = lines.map((l) =>
  Object.fromEntries(
    l.split(",").map((v, i) => [cols[i], cols[i] === "sales" || cols[i] === "salary" ? v : Number(v)]),
  ),
);
const base = model.encode(records);
const data = new Float64Array(rows * ncol);
let s = 12345;
for (let r = 0; r < rows; r++) {
  s = (s * 1103515245 + 12345) % 2 ** 31;
  const src = s % base.nrow;
  data.set(base.data.subarray(src * ncol, (src + 1) * ncol), r * ncol);
}

function best(times) {
  return Math.min(...times);
}

// One untimed warm-up round on each side (JIT, page faults), then `rounds` timed ones.
const single = [];
let want = model.predict(data, { numThreads: 1 });
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  want = model.predict(data, { numThreads: 1 });
  single.push(performance.now() - t0);
}

const pool = await ModelPool.open(bundle, { size, engine: values.engine, numThreads: 1 });
const pooled = [];
let got = await pool.predictMatrixParallel(data, rows);
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  got = await pool.predictMatrixParallel(data, rows);
  pooled.push(performance.now() - t0);
}
await pool.close();
model.dispose();

for (let i = 0; i < want.length; i++) {
  if (want[i] !== got[i]) throw new Error(`pool output differs at ${i}: ${got[i]} != ${want[i]}`);
}
const a = best(single);
const b = best(pooled);
console.log(
  `engine=${values.engine} rows=${rows} cores=${availableParallelism()}\n` +
    `1 thread:   ${a.toFixed(1)} ms (${((rows / a) * 1000).toFixed(0)} rows/s)\n` +
    `${size} workers:  ${b.toFixed(1)} ms (${((rows / b) * 1000).toFixed(0)} rows/s)\n` +
    `speed-up: ${(a / b).toFixed(2)}x (best of ${rounds}; outputs identical)`,
);
