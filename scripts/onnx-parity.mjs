#!/usr/bin/env node
// Measures the onnx engine against the native engine (LightGBM's C API) on every zoo model and on the
// shipped model, and writes docs/onnx-parity.md. Rows: the zoo's own rows plus 2,000 adversarial rows
// per model (each feature's thresholds and one ulp either side, +-0, +-kZeroThreshold, NaN, +-inf,
// fractional and negative categories). Runs against dist/ (npm run build:ts).
//   node scripts/onnx-parity.mjs [--out docs/onnx-parity.md]
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outIdx = process.argv.indexOf("--out");
const outFile = outIdx >= 0 ? process.argv[outIdx + 1] : join(root, "docs/onnx-parity.md");
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const { OnnxEngine } = await import(join(root, "dist/engines/onnx/engine.js"));
const { exportOnnxModel } = await import(join(root, "dist/engines/onnx/export.js"));
const { mulberry32: rng } = await import(join(root, "dist/train/prng.js"));
const { createRequire } = await import("node:module");
const ortApi = createRequire(join(root, "package.json"))("onnxruntime-node");
const ort = JSON.parse(
  readFileSync(join(root, "node_modules/onnxruntime-node/package.json"), "utf8"),
).version;

const zooDir = join(root, "test/fixtures/zoo");
const decode = (v) =>
  typeof v === "number" ? v : v === "NaN" ? Number.NaN : v === "Infinity" ? Infinity : -Infinity;
const KZ = Math.fround(1e-35);
const ADVERSARIAL = 2000;
const threadsAll = availableParallelism();

const view = new DataView(new ArrayBuffer(8));
function next(x, dir) {
  if (!Number.isFinite(x) || x === 0) return x + dir * Number.MIN_VALUE;
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === dir > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function adversarialRows(text, ncol, nrow, seed) {
  const base = [Number.NaN, 0, -0, KZ, -KZ, KZ / 2, -KZ / 2, 2 * KZ, -2 * KZ, Infinity, -Infinity];
  const cats = [-0.5, -1, 0.5, 1.5, 2.99, 3, 31, 32, 33.7, 1e300, -1e300];
  const pools = Array.from({ length: ncol }, () => [...base, ...cats]);
  for (const block of text.split("Tree=").slice(1)) {
    const sf = /split_feature=(.*)/.exec(block);
    const th = /threshold=(.*)/.exec(block);
    const dt = /decision_type=(.*)/.exec(block);
    if (!sf || !th || !dt) continue;
    const f = sf[1].split(" ").map(Number);
    const t = th[1].split(" ").map(Number);
    const d = dt[1].split(" ").map(Number);
    for (let i = 0; i < f.length; i++)
      if ((d[i] & 1) === 0) pools[f[i]].push(t[i], next(t[i], 1), next(t[i], -1));
  }
  const rand = rng(seed);
  const X = new Float64Array(nrow * ncol);
  for (let i = 0; i < X.length; i++) {
    const pool = pools[i % ncol];
    X[i] = pool[Math.floor(rand() * pool.length)];
  }
  return X;
}

function compare(a, b) {
  let same = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) same++;
    else maxAbs = Math.max(maxAbs, Number.isNaN(a[i] - b[i]) ? Infinity : Math.abs(a[i] - b[i]));
  }
  return { maxAbs, identical: same / a.length };
}

const cases = readdirSync(zooDir)
  .sort()
  .map((name) => {
    const c = JSON.parse(readFileSync(join(zooDir, name, "cases.json"), "utf8"));
    return {
      name,
      text: readFileSync(join(zooDir, name, "model.txt"), "utf8"),
      X: Float64Array.from(c.X.flat(), decode),
      nrow: c.X.length,
      objective: c.objective,
    };
  });
const shipped = join(root, "models/hr-attrition/model.txt");
if (existsSync(shipped))
  cases.push({ name: "hr-attrition (shipped)", text: readFileSync(shipped, "utf8"), X: null, nrow: 0 });

const rows = [];
for (const c of cases) {
  const native = NativeEngine.fromString(c.text, { numThreads: 1 });
  const ncol = native.info.numFeatures;
  const adv = adversarialRows(c.text, ncol, ADVERSARIAL, 17);
  const X = new Float64Array((c.X ? c.X.length : 0) + adv.length);
  if (c.X) X.set(c.X);
  X.set(adv, c.X ? c.X.length : 0);
  const nrow = (c.X ? c.nrow : 0) + ADVERSARIAL;
  const objective = native.info.objectiveLine;
  let one;
  let all;
  try {
    one = await OnnxEngine.fromString(c.text, { numThreads: 1 });
    all = await OnnxEngine.fromString(c.text, { numThreads: threadsAll });
  } catch (err) {
    rows.push({ name: c.name, objective, nrow, refused: err.message });
    native.dispose();
    continue;
  }
  const nRaw = native.predict(X, nrow, { type: "raw" });
  const nNormal = native.predict(X, nrow);
  // ai.onnx.ml opset 3 export: float32 tree output
  const legacy = await ortApi.InferenceSession.create(exportOnnxModel(c.text, { mlOpset: 3 }).bytes, {
    intraOpNumThreads: 1,
  });
  const lRaw = (await legacy.run({ X: new ortApi.Tensor("float64", X, [nrow, ncol]) }, ["raw"])).raw.data;
  await legacy.release();
  let lMaxRel = 0;
  for (let i = 0; i < nRaw.length; i++) {
    if (!Object.is(lRaw[i], nRaw[i]))
      lMaxRel = Math.max(lMaxRel, Math.abs(lRaw[i] - nRaw[i]) / Math.max(1e-300, Math.abs(nRaw[i])));
  }
  rows.push({
    name: c.name,
    objective,
    nrow,
    legacy: { f32: compare(lRaw, Float64Array.from(nRaw, Math.fround)).identical, maxRel: lMaxRel },
    raw1: compare(one.predict(X, nrow, { type: "raw" }), nRaw),
    normal1: compare(one.predict(X, nrow), nNormal),
    rawAll: compare(all.predict(X, nrow, { type: "raw" }), nRaw),
  });
  one.dispose();
  all.dispose();
  native.dispose();
  process.stderr.write(".");
}
process.stderr.write("\n");

const e = (x) => (x === 0 ? "0" : x.toExponential(1));
const pct = (x) => `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`;
const L = [];
L.push(
  "# ONNX parity: the onnx engine against LightGBM",
  "",
  "Generated by `node scripts/onnx-parity.mjs` (after `npm run build:ts`); do not edit by hand.",
  `onnxruntime-node ${ort}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  "",
  "Each model is exported by `exportOnnx` (TreeEnsemble, ai.onnx.ml opset 5, double precision) and run",
  "by the onnx engine; the reference is the native engine (LightGBM 4.7.0's C API), which the zoo tests",
  "hold equal to LightGBM's Python predictions. Rows: the zoo's own rows plus 2,000 adversarial rows",
  "per model (every threshold and one ulp either side, +-0, +-kZeroThreshold, NaN, +-inf, fractional,",
  'negative and out-of-range categories). "identical" is the share of output values equal bit for bit.',
  "",
  "The last two columns are the `--ml-opset 3` export (TreeEnsembleRegressor, float32 output): the share",
  "of raw scores equal to LightGBM's raw score rounded to float32, and the largest relative difference.",
  "",
  `| model | objective | rows | raw max abs diff (1 thread) | raw identical (1 thread) | normal max abs diff | normal identical | raw max abs diff (${threadsAll} threads) | raw identical (${threadsAll} threads) | opset 3: raw = float32(LightGBM) | opset 3: max rel diff |`,
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
);
for (const r of rows) {
  if (r.refused) {
    L.push(`| ${r.name} | ${r.objective} | - | refused: ${r.refused} | | | | | | | |`);
    continue;
  }
  L.push(
    `| ${r.name} | ${r.objective} | ${r.nrow} | ${e(r.raw1.maxAbs)} | ${pct(r.raw1.identical)} | ${e(r.normal1.maxAbs)} | ${pct(r.normal1.identical)} | ${e(r.rawAll.maxAbs)} | ${pct(r.rawAll.identical)} | ${pct(r.legacy.f32)} | ${e(r.legacy.maxRel)} |`,
  );
}
const exported = rows.filter((r) => !r.refused);
const maxRaw1 = Math.max(...exported.map((r) => r.raw1.maxAbs));
const maxNormal = Math.max(...exported.map((r) => r.normal1.maxAbs));
const maxRawAll = Math.max(...exported.map((r) => r.rawAll.maxAbs));
L.push(
  "",
  "## Summary",
  "",
  `- Raw scores, 1 intra-op thread: max abs difference ${e(maxRaw1)} over all exported models` +
    (maxRaw1 === 0 ? " (bit-identical everywhere)." : "."),
  `- Transformed outputs ("normal"): max abs difference ${e(maxNormal)}. The trees' sums are identical; the`,
  "  transform (exp in sigmoid, softmax, poisson/gamma/tweedie, log(1 + exp) of cross_entropy_lambda) is",
  "  onnxruntime's exp/log instead of the C library's, a few ulp apart.",
  `- Raw scores, ${threadsAll} intra-op threads: max abs difference ${e(maxRawAll)}. With more than one thread,`,
  "  onnxruntime may split a batch's trees across threads and add the partial sums, so the last bits of a",
  "  raw score can differ from LightGBM's tree-order sum. Use `numThreads: 1` (`--threads 1`) for",
  "  bit-identical raw scores.",
  "- Refused: linear-tree models (the tree operators have constant leaves only).",
  `- \`--ml-opset 3\` (TreeEnsembleRegressor): raw scores equal LightGBM's rounded to float32 for ${pct(
    exported.reduce((a, r) => a + r.legacy.f32 * r.nrow, 0) / exported.reduce((a, r) => a + r.nrow, 0),
  )} of values; max relative difference ${e(Math.max(...exported.map((r) => r.legacy.maxRel)))}. Decisions`,
  "  are exact (double thresholds); only the operator's float32 output rounds. The CLI prints a warning.",
  "",
  "## What the export does and does not do",
  "",
  "- Precision (default, ai.onnx.ml opset 5): double everywhere (input, thresholds, leaf values, outputs).",
  "  There is no float32 step, so",
  "  no float32 tolerance applies: with `TreeEnsemble` (ai.onnx.ml opset 5) onnxruntime computes in the",
  "  input type. The older `TreeEnsembleRegressor` / `TreeEnsembleClassifier` (opset 3) output float32",
  "  only; the exporter writes TreeEnsembleRegressor only with `--ml-opset 3` (`mlOpset: 3`), for",
  "  runtimes without ai.onnx.ml opset 5 (onnxruntime added the TreeEnsemble kernel in late 2024; this",
  "  repo tests 1.30), and then warns that raw scores are rounded to float32.",
  '- Outputs: `raw` (double [N, K]), `prediction` (double [N, K], LightGBM\'s "normal" output); for',
  "  binary, multiclass and multiclassova also `probabilities` (double [N, C]; binary [1 - p, p]) and",
  "  `label` (int64 [N]). Plain tensors: no ZipMap (onnxruntime-node cannot return maps).",
  "- Transforms: written as standard ONNX operators on the raw score in LightGBM's own formula, not as",
  "  the tree operator's post_transform: binary `1 / (1 + exp(-sigmoid * x))` for any `sigmoid:` value,",
  "  multiclass softmax, multiclassova and cross_entropy sigmoids, poisson / gamma / tweedie `exp`,",
  "  cross_entropy_lambda `log(1 + exp(x))` (ONNX has no log1p), regression `sqrt` `sign(x) * x * x`,",
  "  random forests' average. Every objective exports; none needs its leaf values rescaled.",
  "- Missing values: missing type NaN follows default_left; missing type None reads NaN as 0.0;",
  "  `|x| <= kZeroThreshold` (1e-35f) counts as 0.0 as in LightGBM's C API (thresholds in that band",
  "  moved accordingly); zero_as_missing features are mapped 0 → NaN before the trees, so 0 and NaN",
  "  follow default_left as in LightGBM.",
  "- Categorical splits: `BRANCH_MEMBER` with the split's categories; those columns are truncated toward",
  "  zero first, as LightGBM's `static_cast<int>` does, so 2.7 is category 2 and -0.5 is category 0;",
  "  NaN, negatives and values beyond the bitset go right.",
  "- Refused, with an error naming what: linear trees; a feature used both as categorical and numerical,",
  "  or with missing types Zero and NaN (LightGBM's training never writes either).",
  '- The onnx engine predicts "normal" and "raw"; "leaf" and "contrib" throw. `predict` / `predictRow`',
  "  are synchronous through onnxruntime-node's native session (its public `run` wraps the same",
  "  synchronous native call in setImmediate); `predictAsync` always works. Iteration ranges export a",
  "  session per range on first use. Threads: `numThreads` at load is onnxruntime's intra-op thread count",
  "  (default 0, onnxruntime's choice: one per physical core); see the thread note above for exactness.",
  "",
);
writeFileSync(outFile, L.join("\n"));
process.stderr.write(`wrote ${outFile}\n`);
