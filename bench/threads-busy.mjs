// Threads on a busy host, shipped model: the SDK's default (the compiled model, one thread) and its two
// threads (worker threads that sleep in Atomics.wait), against LightGBM's own predictor (compiled: false)
// on one thread and on all cores (OpenMP), with a CPU burner on the other core(s) and without, in
// alternating rounds (README, "Threads"). A second process repeats LightGBM's all-cores case with
// libgomp's own wait policy (threads spin before they sleep: OMP_WAIT_POLICY=active), which the SDK
// replaces with passive waiting when it loads LightGBM.
//   node bench/threads-busy.mjs [--rows 100,1000,10000] [--rounds 40]
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readModelText, root, shippedModelFile } from "./lib/models.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rowsList = arg("rows", "100,1000,10000").split(",").map(Number);
const rounds = Number(arg("rounds", "40"));
const cores = availableParallelism();
const self = fileURLToPath(import.meta.url);

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a) => Math.min(...a);

/** Alternating rounds of each configuration ([name, engine options, predict options]) on `rows` rows; medians and bests in ms. */
async function measure(configs, rows) {
  const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
  const text = readModelText(shippedModelFile());
  const engines = new Map();
  const engineFor = (engineOptions) => {
    const key = JSON.stringify(engineOptions);
    if (!engines.has(key)) engines.set(key, NativeEngine.fromString(text, engineOptions));
    return engines.get(key);
  };
  const nf = engineFor({}).info.numFeatures;
  const X = new Float64Array(rows * nf);
  for (let i = 0; i < X.length; i++) X[i] = ((i * 7919) % 101) / 10;
  const times = Object.fromEntries(configs.map(([name]) => [name, []]));
  for (let r = 0; r < rounds + 3; r++) {
    const order = r % 2 ? [...configs].reverse() : configs;
    for (const [name, engineOptions, options] of order) {
      const engine = engineFor(engineOptions);
      const t0 = process.hrtime.bigint();
      engine.predict(X, rows, options);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= 3) times[name].push(ms);
    }
  }
  for (const e of engines.values()) e.dispose();
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, { median: median(v), best: best(v) }]));
}

const LIGHTGBM = { compiled: false };
const CONFIGS = [
  ["default", {}, {}],
  [`${cores} threads`, {}, { numThreads: cores }],
  ["LightGBM 1 thread", LIGHTGBM, { numThreads: 1 }],
  [`LightGBM ${cores} threads`, LIGHTGBM, { numThreads: cores }],
];

if (process.argv.includes("--child")) {
  // libgomp's own wait policy: only the all-cores configuration can differ
  const out = {};
  for (const rows of rowsList) out[rows] = await measure(CONFIGS.slice(3), rows);
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

function startBurners() {
  return Array.from({ length: Math.max(1, cores - 1) }, () =>
    spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }),
  );
}

function childRun(env) {
  return new Promise((resolve, reject) => {
    const args = [self, "--child", "--rows", rowsList.join(","), "--rounds", String(rounds)];
    const c = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d) => {
      out += d;
    });
    c.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exit ${code}`))));
  });
}

const results = [];
for (const busy of [true, false]) {
  const burners = busy ? startBurners() : [];
  try {
    await new Promise((r) => setTimeout(r, 300));
    const spin = await childRun({ OMP_WAIT_POLICY: "active" });
    for (const rows of rowsList) {
      const m = await measure(CONFIGS, rows);
      results.push({ busy, rows, ...m, spin: spin[rows][`LightGBM ${cores} threads`] });
    }
  } finally {
    for (const b of burners) b.kill("SIGKILL");
  }
}

const f = (x) => `${x.median.toFixed(2)} (${x.best.toFixed(2)})`;
const ratio = (a, b) => (a.median / b.median).toFixed(2);
console.log(`ms per predict, median (best) of ${rounds} alternating rounds; shipped model; ${cores} cores`);
console.log(
  `| host | rows | default (compiled, 1 thread) | compiled, ${cores} threads | LightGBM 1 thread | LightGBM ${cores} threads (passive wait) | LightGBM ${cores} threads (libgomp's spinning wait) | default / LightGBM 1 thread | compiled ${cores} threads / default | LightGBM ${cores} threads / 1 thread (spinning) |`,
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  const lgb1 = r["LightGBM 1 thread"];
  const lgbAll = r[`LightGBM ${cores} threads`];
  const comp = r[`${cores} threads`];
  console.log(
    `| ${r.busy ? `busy (${Math.max(1, cores - 1)} burner)` : "no burner"} | ${r.rows} | ${f(r.default)} | ${f(comp)} | ${f(lgb1)} | ${f(lgbAll)} | ${f(r.spin)} | ${ratio(r.default, lgb1)} | ${ratio(comp, r.default)} | ${ratio(lgbAll, lgb1)} (${ratio(r.spin, lgb1)}) |`,
  );
}
