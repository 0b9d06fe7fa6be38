#!/usr/bin/env node
// The table walk against the if/else code of the same compiled module (src/compiled/walk.ts and
// compile.ts), and the addon's kernels of the same walk (native/walk_kernel.cc: AVX-512, AVX2, whichever
// this CPU runs), head to head in one process: rounds in a rotating order of single rows (cycling
// through 1,024 rows) and batches of 10 and 32 rows (a new window of rows each call; larger batches take
// the if/else code either way), on the large bench model and its categorical variant (5 features of 30
// categories). Raw scores are compared first (must be identical).
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
const { loadBinding } = await import(join(root, "dist/native/binding.js"));
const { TableWalk } = loadBinding();
const isas = TableWalk.isas();

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
const names = ["if/else", "wasm walk", ...isas.map((isa) => `addon ${isa}`)];
console.log(
  `| model | batch | ${names.map((n) => `${n} rows/s (best / median)`).join(" | ")} | wasm walk / if/else | addon / wasm walk |`,
);
console.log(`|---|---:|${names.map(() => "---:").join("|")}|---:|---:|`);
for (const m of models) {
  const model = parseModel(readFileSync(m.file, "utf8"));
  const layout = buildLayout(model);
  const ifElse = CompiledForest.fromModel(model, layout, { walk: "never" });
  const walk = CompiledForest.fromModel(model, layout, { walk: "always" });
  if (!walk.info.hasWalk) {
    log(`${m.file}: the walk does not take this model`);
    continue;
  }
  const kernels = isas.map((isa) => {
    const f = CompiledForest.fromModel(model, layout, { walk: "always", shared: true });
    const source = f.walkSource();
    f.attachWalker(new TableWalk(source.tables, source.spec, isa));
    return f;
  });
  const forests = [ifElse, walk, ...kernels];
  const nf = layout.numFeatures;
  const k = model.numTreePerIteration;
  const X = m.rows(ROWS, nf);
  const want = new Float64Array(ROWS * k);
  ifElse.predict(X, ROWS, want);
  for (const [i, f] of forests.entries()) {
    const got = new Float64Array(ROWS * k);
    for (let r = 0; r < ROWS; r += 8) f.predict(X.subarray(r * nf, (r + 8) * nf), 8, got.subarray(r * k));
    for (let j = 0; j < got.length; j++)
      if (!Object.is(got[j], want[j]))
        throw new Error(`${m.file}: row ${j / k}: ${names[i]} ${got[j]}, if/else ${want[j]}`);
  }
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
    const rates = forests.map(() => []);
    for (let round = 0; round < rounds; round++)
      for (let i = 0; i < forests.length; i++) {
        const j = (i + round) % forests.length;
        rates[j].push(time(forests[j], n));
      }
    const bestAddon = Math.max(0, ...rates.slice(2).map(best));
    console.log(
      `| ${name} | ${n} | ${rates.map((xs) => `${rate(best(xs))} / ${rate(median(xs))}`).join(" | ")} | ${(best(rates[1]) / best(rates[0])).toFixed(2)}x | ${isas.length ? `${(bestAddon / best(rates[1])).toFixed(2)}x` : "-"} |`,
    );
  }
}
