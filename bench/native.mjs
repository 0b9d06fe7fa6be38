#!/usr/bin/env node
// Issue 2's speed targets: the SDK's native engine vs LightGBM's C API called directly from C++
// (build/Release/direct_bench), on the same model and the same buffer, measured in the same run.
//   - batch: SDK predict on 100k rows >= 0.95x the rows/s of LGBM_BoosterPredictForMat
//   - single row: predictRow <= 1.10x the time of LGBM_BoosterPredictForMatSingleRowFast
// Also prints SDK rows/s for batch sizes 1 .. 100k. Usage: node bench/native.mjs [--quick]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { largeModelFile, root, shippedModelFile, syntheticRows } from "./lib/models.mjs";

const quick = process.argv.includes("--quick");
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const direct = join(root, "build/Release/direct_bench");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-bench-"));
const log = (m) => process.stderr.write(`${m}\n`);

function rowsFor(engine, nrow, seed) {
  const ncol = engine.info.numFeatures;
  if (ncol === 40) return syntheticRows(nrow, ncol, seed);
  // other models: synthetic values in a plausible range per column
  const data = syntheticRows(nrow, ncol, seed);
  for (let i = 0; i < data.length; i++) data[i] = Math.abs(data[i]) / 5;
  return data;
}

function timeIt(fn, minSeconds) {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds) {
    fn();
    calls++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { seconds: elapsed, calls };
}

function directRun(modelFile, dataFile, ncol, mode, nrow, reps, threads) {
  const out = execFileSync(direct, [
    modelFile,
    dataFile,
    String(ncol),
    mode,
    String(nrow),
    String(reps),
    String(threads),
  ]);
  return JSON.parse(out.toString());
}

function benchModel(label, modelFile) {
  const engine = NativeEngine.fromFile(modelFile);
  const ncol = engine.info.numFeatures;
  const big = quick ? 20_000 : 100_000;
  const data = rowsFor(engine, big, 3);
  const dataFile = join(tmp, `${label}.f64`);
  writeFileSync(dataFile, Buffer.from(data.buffer));
  const threads = availableParallelism();
  const secs = quick ? 0.3 : 1.5;

  // Batch, 100k rows, alternating SDK and direct runs; best of 3 each (the machine is noisy).
  const sdkBatch = [];
  const cBatch = [];
  for (let round = 0; round < 3; round++) {
    const t = timeIt(() => engine.predict(data, big, { numThreads: threads }), secs);
    sdkBatch.push((big * t.calls) / t.seconds);
    const reps = Math.max(1, Math.round((sdkBatch[round] * secs) / big));
    cBatch.push(directRun(modelFile, dataFile, ncol, "batch", big, reps, threads).rowsPerSec);
  }
  const sdkBatchBest = Math.max(...sdkBatch);
  const cBatchBest = Math.max(...cBatch);

  // Single row over 1,000 distinct rows, same alternation.
  const nrows = 1000;
  const views = Array.from({ length: nrows }, (_, i) => data.subarray(i * ncol, (i + 1) * ncol));
  const sdkRow = [];
  const cRow = [];
  for (let round = 0; round < 3; round++) {
    const t = timeIt(() => {
      for (let i = 0; i < nrows; i++) engine.predictRow(views[i]);
    }, secs);
    sdkRow.push((t.seconds * 1e9) / (t.calls * nrows));
    const reps = Math.max(1, Math.round(t.calls));
    cRow.push(directRun(modelFile, dataFile, ncol, "row", nrows, reps, 1).nsPerCall);
  }
  const sdkRowBest = Math.min(...sdkRow);
  const cRowBest = Math.min(...cRow);

  // SDK rows/s by batch size (all threads).
  const sizes = {};
  for (const n of [1, 10, 100, 1_000, 10_000, big]) {
    const view = data.subarray(0, n * ncol);
    const t = timeIt(() => engine.predict(view, n, { numThreads: threads }), quick ? 0.1 : 0.5);
    sizes[n] = (n * t.calls) / t.seconds;
  }
  engine.dispose();
  return {
    model: label,
    features: ncol,
    trees: engine.info.numIterations * engine.info.numTreePerIteration,
    batchRows: big,
    threads,
    batch: { sdkRowsPerSec: sdkBatchBest, directRowsPerSec: cBatchBest, ratio: sdkBatchBest / cBatchBest },
    row: { sdkNs: sdkRowBest, directNs: cRowBest, ratio: sdkRowBest / cRowBest },
    rowsPerSecByBatchSize: sizes,
  };
}

const models = [];
const shipped = shippedModelFile();
if (shipped) models.push(["hr-attrition", shipped]);
models.push(["large 500x127", await largeModelFile({ log })]);
const results = models.map(([label, file]) => {
  log(`benchmarking ${label}...`);
  return benchModel(label, file);
});

const fmt = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
const lines = [
  `Machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, Node ${process.version}${quick ? " (quick)" : ""}`,
  "",
  "| model | batch 100k: SDK rows/s | C++ direct rows/s | ratio (goal >= 0.95) | predictRow ns | C++ SingleRowFast ns | ratio (goal <= 1.10) |",
  "|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.model} | ${fmt(r.batch.sdkRowsPerSec)} | ${fmt(r.batch.directRowsPerSec)} | ${r.batch.ratio.toFixed(3)} | ${r.row.sdkNs.toFixed(0)} | ${r.row.directNs.toFixed(0)} | ${r.row.ratio.toFixed(3)} |`,
  ),
  "",
  "| model | 1 | 10 | 100 | 1k | 10k | 100k |",
  "|---|---|---|---|---|---|---|",
  ...results.map(
    (r) => `| ${r.model} (rows/s) | ${Object.values(r.rowsPerSecByBatchSize).map(fmt).join(" | ")} |`,
  ),
];
const md = lines.join("\n");
console.log(md);
if (!quick) {
  writeFileSync(join(root, "bench/results/native.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(root, "bench/results/native.md"), `${md}\n`);
}
