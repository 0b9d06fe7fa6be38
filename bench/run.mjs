#!/usr/bin/env node
// The engine benchmark: native (1 thread and all threads), js and onnx (1 thread and all threads) on
// the shipped model and on a large one (500 trees x 127 leaves, 40 features), batch sizes 1 .. 100k,
// plus one record end to end (validate + encode + predict) on the shipped bundle. Runs against dist/
// (npm run build:ts). Before timing, every engine's outputs are checked against native: js must be
// bit-identical on raw scores, onnx within ONNX_RAW_TOL (double-precision export).
//
//   node bench/run.mjs            full run (a few minutes), writes bench/results/engines.{json,md}
//   node bench/run.mjs --quick    CI smoke run: small models and batches, short timings, no files
//                                 unless --out <dir> is given
//   --out <dir>                   where to write engines.json / engines.md
//
// Batch size 1 uses each engine's single-row call (predictRow); larger sizes use predict. The onnx
// engine runs onnxruntime-node's native session synchronously (src/engines/onnx/runtime.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { Bench } from "tinybench";
import { buildEngines, checkAgreement, disposeAll, ONNX_RAW_TOL } from "./lib/engines.mjs";
import { largeModelFile, root, shippedModelFile, syntheticRows } from "./lib/models.mjs";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const outIdx = argv.indexOf("--out");
const outDir = outIdx >= 0 ? argv[outIdx + 1] : quick ? undefined : join(root, "bench/results");
const log = (m) => process.stderr.write(`${m}\n`);

if (!existsSync(join(root, "dist/engines/onnx/engine.js"))) {
  log("dist/ is missing or stale: run `npm run build:ts` first");
  process.exit(1);
}

const SIZES = quick ? [1, 10, 100, 1000] : [1, 10, 100, 1000, 10_000, 100_000];
const MAX_ROWS = SIZES[SIZES.length - 1];
/** Time budget per task (ms) and minimum samples: small batches get many samples, big ones few. */
const budget = (nrow) => (quick ? 40 : nrow >= 100_000 ? 1500 : nrow >= 10_000 ? 700 : 400);
const minSamples = (nrow) => (quick ? 3 : nrow >= 100_000 ? 4 : nrow >= 10_000 ? 8 : 20);

const notes = [];
const models = [];

// --- models --------------------------------------------------------------------------------------
const shipped = shippedModelFile();
if (shipped) {
  models.push({
    label: "hr-attrition (shipped)",
    file: shipped,
    bundle: dirname(shipped),
    rows: (n) => hrRows(n),
  });
} else {
  notes.push("models/hr-attrition/model.txt is absent: the shipped model was skipped");
}
if (quick) {
  const zoo = join(root, "test/fixtures/zoo/binary/model.txt");
  models.push({ label: "zoo/binary (quick)", file: zoo, rows: (n, ncol) => plausibleRows(n, ncol) });
} else {
  const file = await largeModelFile({ log });
  models.push({
    label: "large (500 trees x 127 leaves, 40 features)",
    file,
    rows: (n) => syntheticRows(n, 40, 3),
  });
}

let hrData;
async function hrRows(n) {
  if (!hrData) {
    const { Model } = await import(join(root, "dist/model.js"));
    const model = await Model.load(dirname(shipped), { engine: "js" });
    const records = hrRecords(model.spec);
    hrData = model.encode(records);
    model.dispose();
  }
  const ncol = hrData.data.length / hrData.nrow;
  const out = new Float64Array(n * ncol);
  for (let r = 0; r < n; r++)
    out.set(hrData.data.subarray((r % hrData.nrow) * ncol, ((r % hrData.nrow) + 1) * ncol), r * ncol);
  return out;
}

/** The shipped bundle's data as records (typed by its spec; the target column dropped). */
function hrRecords(spec) {
  const csv = join(dirname(shipped), "data/hr.csv");
  const [head, ...lines] = readFileSync(csv, "utf8").trim().split("\n");
  const cols = head.split(",");
  const types = new Map(spec.fields.map((f) => [f.name, f.type]));
  return lines.map((line) => {
    const cells = line.split(",");
    const rec = {};
    cols.forEach((c, i) => {
      const t = types.get(c);
      if (t === undefined) return;
      if (t === "number" || t === "integer") rec[c] = Number(cells[i]);
      else if (t === "boolean") rec[c] = cells[i] === "1" || cells[i] === "true";
      else rec[c] = cells[i];
    });
    return rec;
  });
}

function plausibleRows(n, ncol) {
  const data = syntheticRows(n, ncol, 5);
  for (let i = 0; i < data.length; i++) data[i] /= 2;
  return data;
}

// --- timing --------------------------------------------------------------------------------------
function measure(name, fn, nrow) {
  const bench = new Bench({
    time: budget(nrow),
    iterations: minSamples(nrow),
    warmupTime: Math.min(200, budget(nrow) / 4),
    warmupIterations: 2,
    throws: true,
  });
  bench.add(name, fn);
  const [task] = bench.runSync();
  const r = task.result;
  if (r.state !== "completed") throw new Error(`${name}: ${r.state} ${r.error?.message ?? ""}`);
  const p50 = r.latency.p50;
  return {
    rowsPerSec: (nrow * 1000) / p50,
    p50Ms: p50,
    p99Ms: r.latency.p99,
    samples: r.latency.samplesCount ?? r.latency.samples?.length ?? 0,
  };
}

const fmtRate = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
const fmtMs = (x) =>
  x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x >= 0.01 ? x.toFixed(4) : x.toExponential(2);
const fmtRatio = (x) => `${x.toFixed(2)}x`;

// --- run -----------------------------------------------------------------------------------------
const t0 = Date.now();
// Other processes on the machine skew every number: the load average is recorded with the results.
const loadStart = loadavg().map((x) => Number(x.toFixed(2)));
const report = {
  date: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "",
    node: process.version,
    threads: availableParallelism(),
  },
  onnxruntime: JSON.parse(readFileSync(join(root, "node_modules/onnxruntime-node/package.json"), "utf8"))
    .version,
  rows: "rows/s = batch size / p50 latency of one call",
  models: [],
  targets: [],
  notes,
};
let failed = false;

for (const m of models) {
  const text = readFileSync(m.file, "utf8");
  const variants = await buildEngines(m.file, text);
  const info = variants[0].engine.info;
  log(
    `\n== ${m.label}: ${info.numFeatures} features, ${info.numIterations * info.numTreePerIteration} trees`,
  );
  const data = await m.rows(MAX_ROWS, info.numFeatures);
  const checkRows = Math.min(MAX_ROWS, 10_000);
  const agreement = checkAgreement(variants, data.subarray(0, checkRows * info.numFeatures), checkRows);
  for (const a of agreement.rows) {
    log(
      `  check ${a.engine.padEnd(10)} ${a.pass ? "ok  " : "FAIL"} ${a.rule}: raw identical ${(a.raw.identical * 100).toFixed(1)}%, max |diff| raw ${a.raw.maxAbs.toExponential(2)}, normal ${a.normal.maxAbs.toExponential(2)}`,
    );
  }
  if (!agreement.ok) {
    failed = true;
    log("  engines disagree: not timing this model");
    disposeAll(variants);
    continue;
  }
  const results = [];
  // Single rows cycle through 1,024 distinct rows: one repeated row lets the CPU's branch predictor learn
  // its path through every tree, which flatters compiled code and is not what a server sees.
  const ncolRows = info.numFeatures;
  const distinct = Math.min(1024, data.length / ncolRows);
  const rowViews = Array.from({ length: distinct }, (_, r) =>
    data.subarray(r * ncolRows, (r + 1) * ncolRows),
  );
  // the native engine with all threads: the last native variant (buildEngines adds it after the 1-thread ones)
  const nativeAll = variants.filter((v) => v.engine.name === "native").at(-1);
  for (const nrow of SIZES) {
    const batch = data.subarray(0, nrow * info.numFeatures);
    const perEngine = {};
    for (const v of variants) {
      let next = 0;
      const fn = nrow === 1 ? () => v.row(rowViews[next++ % distinct]) : () => v.batch(batch, nrow);
      perEngine[v.name] = measure(`${v.name} x${nrow}`, fn, nrow);
    }
    const n1 = perEngine[variants[0].name].rowsPerSec;
    const nAll = perEngine[nativeAll.name].rowsPerSec;
    for (const v of variants) {
      const r = perEngine[v.name];
      results.push({
        engine: v.name,
        batch: nrow,
        ...r,
        vsNative1t: r.rowsPerSec / n1,
        vsNativeAll: r.rowsPerSec / nAll,
      });
    }
    log(
      `  batch ${String(nrow).padStart(6)}: ${variants.map((v) => `${v.name} ${fmtRate(perEngine[v.name].rowsPerSec)}/s`).join(", ")}`,
    );
  }
  const entry = {
    model: m.label,
    features: info.numFeatures,
    trees: info.numIterations * info.numTreePerIteration,
    engines: variants.map((v) => ({ name: v.name, threads: v.threads, note: v.note })),
    agreement: agreement.rows,
    results,
    record: [],
  };
  disposeAll(variants);

  // One record end to end: validate + encode + predict through Model on the bundle.
  if (m.bundle) {
    const { Model } = await import(join(root, "dist/model.js"));
    const records = hrRecords((await Model.load(m.bundle, { engine: "js" })).spec).slice(0, 1000);
    for (const engine of ["native", "js", "onnx"]) {
      const model = await Model.load(m.bundle, { engine, numThreads: 1 });
      let i = 0;
      const r = measure(`record ${engine}`, () => model.predict(records[i++ % records.length]), 1);
      entry.record.push({
        engine,
        recordsPerSec: r.rowsPerSec,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        samples: r.samples,
      });
      model.dispose();
    }
    const nat = entry.record[0].recordsPerSec;
    for (const r of entry.record) r.vsNative = r.recordsPerSec / nat;
    log(
      `  one record end to end: ${entry.record.map((r) => `${r.engine} ${fmtRate(r.recordsPerSec)}/s`).join(", ")}`,
    );
  } else if (!quick) {
    notes.push(`${m.label}: no bundle, so no end-to-end record timing`);
  }

  // The js engine's speed targets, against LightGBM through the addon (the native engine without its
  // packed-tree kernel, which is this same tree layout evaluated in C++).
  const get = (engine, batch) => results.find((r) => r.engine === engine && r.batch === batch);
  const single = get("js", 1).rowsPerSec / get("native-1t-lightgbm", 1).rowsPerSec;
  report.targets.push({
    model: m.label,
    target: "single row: js / native (LightGBM) rows/s",
    goal: 1.0,
    value: single,
    met: single >= 1.0,
  });
  if (SIZES.includes(100_000)) {
    const big = get("js", 100_000).rowsPerSec / get("native-1t-lightgbm", 100_000).rowsPerSec;
    report.targets.push({
      model: m.label,
      target: "batch 100k: js / native (LightGBM, 1 thread) rows/s",
      goal: 0.5,
      value: big,
      met: big >= 0.5,
    });
  }
  report.models.push(entry);
}
report.seconds = Math.round((Date.now() - t0) / 1000);
report.loadAverage = { start: loadStart, end: loadavg().map((x) => Number(x.toFixed(2))) };

// --- output --------------------------------------------------------------------------------------
function markdown() {
  const L = [];
  L.push(`# Engine benchmark${quick ? " (quick)" : ""}`, "");
  L.push(
    `${report.date}; ${report.machine.cpu} (${report.machine.threads} threads); Node ${report.machine.node}; onnxruntime-node ${report.onnxruntime}. ` +
      "rows/s = batch size / median (p50) time of one call; p50 / p99 are per call. " +
      "Ratios are rows/s against native with 1 thread and with all threads. Batch 1 is each engine's single-row call, cycling through 1,024 distinct rows.",
    "",
  );
  for (const e of report.models) {
    L.push(`## ${e.model}`, "", `${e.features} features, ${e.trees} trees.`, "");
    L.push("Agreement with native-1t before timing (10k rows):", "");
    L.push(
      "| engine | rule | raw identical | max abs diff raw | max abs diff normal | ok |",
      "|---|---|---|---|---|---|",
    );
    for (const a of e.agreement) {
      L.push(
        `| ${a.engine} | ${a.rule} | ${(a.raw.identical * 100).toFixed(1)}% | ${a.raw.maxAbs.toExponential(2)} | ${a.normal.maxAbs.toExponential(2)} | ${a.pass ? "yes" : "NO"} |`,
      );
    }
    L.push(
      "",
      "| batch | engine | rows/s | p50 ms | p99 ms | vs native-1t | vs native-all |",
      "|---:|---|---:|---:|---:|---:|---:|",
    );
    for (const r of e.results) {
      L.push(
        `| ${r.batch} | ${r.engine} | ${fmtRate(r.rowsPerSec)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtRatio(r.vsNative1t)} | ${fmtRatio(r.vsNativeAll)} |`,
      );
    }
    if (e.record.length) {
      L.push(
        "",
        "One record end to end (`model.predict(record)`: validate + encode + predict; 1 thread):",
        "",
      );
      L.push("| engine | records/s | p50 ms | p99 ms | vs native |", "|---|---:|---:|---:|---:|");
      for (const r of e.record) {
        L.push(
          `| ${r.engine} | ${fmtRate(r.recordsPerSec)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtRatio(r.vsNative)} |`,
        );
      }
    }
    L.push("");
  }
  L.push("## js engine targets", "", "| model | target | goal | measured | met |", "|---|---|---:|---:|---|");
  for (const t of report.targets) {
    L.push(
      `| ${t.model} | ${t.target} | >= ${t.goal.toFixed(1)}x | ${t.value.toFixed(2)}x | ${t.met ? "yes" : "no"} |`,
    );
  }
  if (notes.length) L.push("", "Notes:", "", ...notes.map((n) => `- ${n}`));
  L.push(
    "",
    `onnx raw tolerance against native: ${ONNX_RAW_TOL} (double-precision export). Run took ${report.seconds} s; load average (1 / 5 / 15 min) ${report.loadAverage.start.join(" / ")} at the start, ${report.loadAverage.end.join(" / ")} at the end, on ${report.machine.threads} hardware threads (other processes competing for the CPU skew every number).`,
    "",
  );
  return L.join("\n");
}

const md = markdown();
process.stdout.write(`${md}\n`);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "engines.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, "engines.md"), md);
  log(`wrote ${join(outDir, "engines.json")} and engines.md`);
}
if (failed) {
  log("engines disagree: see the checks above");
  process.exitCode = 1;
}
