#!/usr/bin/env node
// Issue 4's speed goals: the pure TypeScript engine vs the native engine (LightGBM's C API, 1 thread)
// on the large bench model (500 trees x 127 leaves, 40 features; see bench/lib/models.mjs).
//   - single row: js predictRow rows/s >= 1.0x native predictRow
//   - batch of 100k rows: js predict rows/s >= 0.5x native predict with numThreads=1
// Runs on the built package (npm run build). Usage:
//   node bench/js-engine.mjs [--quick] [--model file.txt] [--dist dir]
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { largeModelFile, root, syntheticRows } from "./lib/models.mjs";

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const dist = resolve(opt("--dist") ?? join(root, "dist"));
const log = (m) => process.stderr.write(`${m}\n`);

const { JsEngine } = await import(join(dist, "js.js"));
const { NativeEngine } = await import(join(dist, "engines/native.js"));
const file = opt("--model") ?? (await largeModelFile({ log }));
const text = readFileSync(file, "utf8");
const js = JsEngine.fromString(text);
// The goals compare the js engine with LightGBM through the addon, so the native engine here keeps every
// prediction on LightGBM (not on the compiled model, its default path).
const native = NativeEngine.fromString(text, { numThreads: 1, compiled: false });
const ncol = js.info.numFeatures;
const nrow = quick ? 20_000 : 100_000;
const data = syntheticRows(nrow, ncol, 3);
const rows = Array.from({ length: 1024 }, (_, i) => data.slice(i * ncol, (i + 1) * ncol));

function rate(fn, seconds) {
  let calls = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    calls += fn(calls);
    elapsed = performance.now() - t0;
  }
  return calls / (elapsed / 1000);
}

const secs = quick ? 1 : 3;
const single = (engine, out) => (i) => {
  engine.predictRow(rows[i & 1023], {}, out);
  return 1;
};
// warm up both paths
rate(single(js), 0.5);
rate(single(native), 0.5);
js.predict(data.subarray(0, 1000 * ncol), 1000);

const results = {
  model: file,
  trees: js.info.numIterations * js.info.numTreePerIteration,
  features: ncol,
  singleRow: {
    jsRowsPerSec: rate(single(js), secs),
    jsReusedOutRowsPerSec: rate(single(js, new Float64Array(js.info.numClasses)), secs),
    nativeRowsPerSec: rate(single(native), secs),
  },
  batch: {
    rows: nrow,
    jsRowsPerSec: rate(() => {
      js.predict(data, nrow);
      return nrow;
    }, secs),
    nativeRowsPerSec: rate(() => {
      native.predict(data, nrow, { numThreads: 1 });
      return nrow;
    }, secs),
  },
};
results.singleRow.ratio = results.singleRow.jsRowsPerSec / results.singleRow.nativeRowsPerSec;
results.batch.ratio = results.batch.jsRowsPerSec / results.batch.nativeRowsPerSec;
native.dispose();
console.log(JSON.stringify(results, null, 2));
log(
  `single row: js/native = ${results.singleRow.ratio.toFixed(2)}x (goal >= 1.0); ` +
    `batch ${nrow}: js/native = ${results.batch.ratio.toFixed(2)}x (goal >= 0.5)`,
);
