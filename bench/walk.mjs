#!/usr/bin/env node
// The table walk against the if/else code of the same compiled module (src/compiled/walk.ts and
// compile.ts), head to head in one process: alternating rounds of single rows (cycling through 1,024
// rows) and batches of 10 and 32 rows (a new window of rows each call; larger batches take the if/else
// code either way), on the large bench model and
// its categorical variant (5 features of 30 categories). Raw scores are compared first (must be identical).
//   node bench/walk.mjs [--rounds N] [model.txt ...]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  categoricalRows,
  largeCategoricalModelFile,
  largeModelFile,
  root,
  syntheticRows,
} from "./lib/models.mjs";

const argv = process.argv.slice(2);
const roundsAt = argv.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 30;
const files = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--rounds");
const log = (m) => process.stderr.write(`${m}\n`);
const { CompiledForest } = await import(join(root, "dist/compiled/forest.js"));
const { WALK_MAX_ROWS } = await import(join(root, "dist/compiled/walk.js"));
const { parseModel } = await import(join(root, "dist/model-text/parse.js"));
const { buildLayout } = await import(join(root, "dist/model-text/layout.js"));

const models = files.length
  ? files.map((file) => ({ file, rows: (n, ncol) => syntheticRows(n, ncol, 1) }))
  : [
      { file: await largeModelFile({ log }), rows: (n, ncol) => syntheticRows(n, ncol, 1) },
      { file: await largeCategoricalModelFile({ log }), rows: (n, ncol) => categoricalRows(n, ncol, 1) },
    ];

const ROWS = 1024;
const best = (xs) => Math.max(...xs);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rate = (x) => `${(x / 1e3).toFixed(1)}k`;
console.log(
  "| model | batch | walk rows/s (best / median) | if/else rows/s (best / median) | walk / if/else (best) |",
);
console.log("|---|---:|---:|---:|---:|");
for (const m of models) {
  const model = parseModel(readFileSync(m.file, "utf8"));
  const layout = buildLayout(model);
  const walk = CompiledForest.fromModel(model, layout, { walk: "always" });
  const ifElse = CompiledForest.fromModel(model, layout, { walk: "never" });
  if (!walk.info.hasWalk) {
    log(`${m.file}: the walk does not take this model`);
    continue;
  }
  const nf = layout.numFeatures;
  const k = model.numTreePerIteration;
  const X = m.rows(ROWS, nf);
  const a = new Float64Array(ROWS * k);
  const b = new Float64Array(ROWS * k);
  for (let r = 0; r < ROWS; r += 8) walk.predict(X.subarray(r * nf, (r + 8) * nf), 8, a.subarray(r * k));
  ifElse.predict(X, ROWS, b);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) throw new Error(`${m.file}: row ${i / k}: walk ${a[i]}, if/else ${b[i]}`);
  const out = new Float64Array(WALK_MAX_ROWS * k);
  const row = new Float64Array(k);
  const time = (forest, n) => {
    const t0 = performance.now();
    let rows = 0;
    while (performance.now() - t0 < 40) {
      for (let i = 0; i < 32; i++) {
        const at = (rows % (ROWS - n + 1)) * nf;
        if (n === 1) forest.predictRow(X.subarray(at, at + nf), row);
        else forest.predict(X.subarray(at, at + n * nf), n, out);
        rows += n;
      }
    }
    return rows / ((performance.now() - t0) / 1000);
  };
  const name = m.file.split("/").pop();
  for (const n of [1, 10, WALK_MAX_ROWS]) {
    const w = [];
    const e = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2) {
        w.push(time(walk, n));
        e.push(time(ifElse, n));
      } else {
        e.push(time(ifElse, n));
        w.push(time(walk, n));
      }
    }
    console.log(
      `| ${name} | ${n} | ${rate(best(w))} / ${rate(median(w))} | ${rate(best(e))} / ${rate(median(e))} | ${(best(w) / best(e)).toFixed(2)}x |`,
    );
  }
}
