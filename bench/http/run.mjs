#!/usr/bin/env node
/**
 * HTTP benchmark of `lgbm serve` (autocannon). Not a test: numbers depend on the machine.
 *
 *   npm run build:ts && node bench/http/run.mjs [--quick] [--duration S] [--bundle models/hr-attrition]
 *
 * Measures POST /predict at 1, 16, 64 and 256 connections with and without micro-batching, with
 * --workers 1 and 2, POST /predict/batch with 1,000 records, and two references in the same run:
 * a bare fastify route that parses the same body and returns a constant, and the classic recipe
 * (FastAPI + uvicorn, bench/peers/fastapi_server.py; skipped with a note when Python or its packages
 * are missing). The load generator runs on the same machine as the servers (2 cores here), so every
 * number is a lower bound shared with the client's own CPU use.
 * Writes bench/results/http.json and bench/results/http.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const duration = Number(opt("--duration", quick ? 2 : 5));
const bundle = opt("--bundle", "models/hr-attrition");
const CONNS = opt("--connections", quick ? "1,64" : "1,16,64,256")
  .split(",")
  .map(Number);
// --head-to-head: only the bare-fastify goal's measurement (no result files written).
const headToHeadOnly = args.includes("--head-to-head");
const ROUNDS = Number(opt("--rounds", quick ? 2 : 10));
const KEY = "bench-key";

const CLASSIC = {
  satisfaction_level: 0.38,
  last_evaluation: 0.53,
  number_project: 2,
  average_montly_hours: 157,
  time_spend_company: 3,
  Work_accident: 0,
  promotion_last_5years: 0,
  sales: "sales",
  salary: "low",
};
const BODY = JSON.stringify(CLASSIC);
const BATCH_BODY = JSON.stringify(
  Array.from({ length: 1000 }, (_, i) => ({ ...CLASSIC, average_montly_hours: 100 + (i % 200) })),
);

let nextPort = 18000 + Math.floor(Math.random() * 1000);
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

async function waitReady(url, ms = 30_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function startProc(cmd, argv, readyUrl, env = {}) {
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  children.add(child);
  try {
    await waitReady(readyUrl);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${err.message}\n${stderr}`);
  }
  return {
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }).then(() => children.delete(child)),
  };
}

async function startLgbm({ microbatch = true, workers = 1, extra = [] } = {}) {
  const port = nextPort++;
  const proc = await startProc(
    process.execPath,
    [
      "bin/lgbm.js",
      "serve",
      bundle,
      "--port",
      String(port),
      "--workers",
      String(workers),
      "--profile",
      "production",
      "--rate-limit",
      "0",
      microbatch ? "--microbatch" : "--no-microbatch",
      ...extra,
    ],
    `http://127.0.0.1:${port}/healthz`,
    { LGBM_API_KEYS: KEY },
  );
  return { ...proc, url: `http://127.0.0.1:${port}`, pid: workers === 1 ? proc.pid : undefined };
}

/** CPU time (user + system, in µs) the process has used so far; undefined off Linux. */
function cpuMicros(pid) {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of the file (11 and 12 after "pid (comm) "), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

function run(url, connections, body, extraHeaders = {}, pid = undefined, seconds = duration) {
  const cpu0 = cpuMicros(pid);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: "POST",
        connections,
        duration: seconds,
        headers: { "content-type": "application/json", ...extraHeaders },
        body,
      },
      (err, r) => {
        if (err) return reject(err);
        const cpu1 = cpuMicros(pid);
        resolve({
          connections,
          ...(cpu0 !== undefined && cpu1 !== undefined && r.requests.total > 0
            ? { server_cpu_us_per_req: Math.round((cpu1 - cpu0) / r.requests.total) }
            : {}),
          rps: Math.round(r.requests.average),
          p50_ms: r.latency.p50,
          p99_ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        });
      },
    );
  });
}

const results = [];
/** The bare-fastify goal, measured head to head (see main). */
const headToHead = [];
function record(name, r, note = "") {
  const row = { name, ...r, ...(note ? { note } : {}) };
  results.push(row);
  console.log(
    `${name.padEnd(44)} c=${String(r.connections).padStart(3)}  ${String(r.rps).padStart(7)} req/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms${r.server_cpu_us_per_req ? `  server CPU ${r.server_cpu_us_per_req} µs/req` : ""}${r.non2xx ? `  non-2xx ${r.non2xx}` : ""}${r.errors ? `  errors ${r.errors}` : ""}`,
  );
}

const auth = { authorization: `Bearer ${KEY}` };

async function main() {
  const notes = [];
  // Sanity: the server answers the classic body.
  {
    const s = await startLgbm();
    const r = await fetch(`${s.url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: BODY,
    });
    console.log(`sanity: ${r.status} ${await r.text()}`);
    await s.stop();
  }

  // Reference 1: bare fastify.
  if (!headToHeadOnly) {
    const port = nextPort++;
    const s = await startProc(
      process.execPath,
      ["bench/http/bare.mjs", String(port)],
      `http://127.0.0.1:${port}/nope`,
    );
    for (const c of CONNS)
      record(
        "bare fastify (parse body, constant answer)",
        await run(`http://127.0.0.1:${port}/predict`, c, BODY, {}, s.pid),
      );
    await s.stop();
  }

  // The bare-fastify goal, measured head to head: both servers up at once, short rounds alternating
  // (the order flips every round) at each connection count, and the median of the per-round ratios.
  // This machine's speed drifts by 10-30% over minutes, more than the difference being measured, so
  // cells measured minutes apart (the table above and below) are not compared with each other.
  {
    const port = nextPort++;
    const bare = await startProc(
      process.execPath,
      ["bench/http/bare.mjs", String(port)],
      `http://127.0.0.1:${port}/nope`,
    );
    const ours = await startLgbm();
    const rounds = ROUNDS;
    const secs = quick ? 1 : 2;
    for (const c of CONNS) {
      const per = [];
      for (let round = 0; round < rounds; round++) {
        const b = () => run(`http://127.0.0.1:${port}/predict`, c, BODY, {}, bare.pid, secs);
        const o = () => run(`${ours.url}/predict`, c, BODY, auth, ours.pid, secs);
        let rb;
        let ro;
        if (round % 2 === 0) {
          rb = await b();
          ro = await o();
        } else {
          ro = await o();
          rb = await b();
        }
        per.push({ bare: rb, ours: ro, ratio: ro.rps / rb.rps });
      }
      const sorted = [...per].sort((x, y) => x.ratio - y.ratio);
      const median = sorted[sorted.length >> 1];
      const cpuRatios = per
        .filter((r) => r.bare.server_cpu_us_per_req && r.ours.server_cpu_us_per_req)
        .map((r) => r.bare.server_cpu_us_per_req / r.ours.server_cpu_us_per_req)
        .sort((x, y) => x - y);
      headToHead.push({
        connections: c,
        rounds,
        secondsPerRound: secs,
        medianRatio: median.ratio,
        minRatio: sorted[0].ratio,
        maxRatio: sorted.at(-1).ratio,
        bareRps: median.bare.rps,
        oursRps: median.ours.rps,
        medianCpuRatio: cpuRatios[cpuRatios.length >> 1],
        bareCpuUsPerReq: median.bare.server_cpu_us_per_req,
        oursCpuUsPerReq: median.ours.server_cpu_us_per_req,
      });
      const h = headToHead.at(-1);
      console.log(
        `head to head c=${String(c).padStart(3)}: /predict / bare = ${h.medianRatio.toFixed(2)}x req/s (median of ${rounds}, range ${h.minRatio.toFixed(2)}-${h.maxRatio.toFixed(2)}), server CPU bare/ours ${h.medianCpuRatio?.toFixed(2) ?? "?"}x`,
      );
    }
    await bare.stop();
    await ours.stop();
  }
  if (headToHeadOnly) process.exit(0);

  for (const [label, cfg] of [
    ["lgbm serve /predict, micro-batching, 1 worker", { microbatch: true, workers: 1 }],
    ["lgbm serve /predict, no micro-batching, 1 worker", { microbatch: false, workers: 1 }],
    ["lgbm serve /predict, micro-batching, 2 workers", { microbatch: true, workers: 2 }],
    ...(quick
      ? []
      : [["lgbm serve /predict, no micro-batching, 2 workers", { microbatch: false, workers: 2 }]]),
  ]) {
    const s = await startLgbm(cfg);
    for (const c of CONNS) record(label, await run(`${s.url}/predict`, c, BODY, auth, s.pid));
    if (cfg.workers === 1 && cfg.microbatch) {
      for (const c of quick ? [4] : [1, 4, 16]) {
        record(
          "lgbm serve /predict/batch (1,000 records), 1 worker",
          await run(`${s.url}/predict/batch`, c, BATCH_BODY, auth),
        );
      }
    }
    await s.stop();
  }

  // The prediction log's cost (every prediction appended as a JSON line).
  {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-bench-"));
    const s = await startLgbm({ extra: ["--prediction-log", join(dir, "predictions.jsonl")] });
    for (const c of quick ? [64] : [1, 64]) {
      record(
        "lgbm serve /predict, micro-batching, 1 worker, --prediction-log",
        await run(`${s.url}/predict`, c, BODY, auth, s.pid),
      );
    }
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  // Reference 2: the classic recipe.
  const py = spawnSync("python3", ["-c", "import fastapi, uvicorn, lightgbm, numpy"], { encoding: "utf8" });
  if (py.status !== 0) {
    notes.push(
      "FastAPI reference skipped: python3 with fastapi, uvicorn, lightgbm and numpy is not available here.",
    );
    console.log(notes.at(-1));
  } else {
    const port = nextPort++;
    const s = await startProc(
      "python3",
      ["bench/peers/fastapi_server.py", bundle, String(port)],
      `http://127.0.0.1:${port}/docs`,
    );
    for (const c of quick ? [64] : [1, 64])
      record(
        "FastAPI + uvicorn, lean (numpy row, Booster.predict)",
        await run(`http://127.0.0.1:${port}/predict`, c, BODY),
      );
    await s.stop();
    // The recipe as tutorials ship it: pickled LGBMClassifier + OneHotEncoder, a pandas DataFrame per request.
    const sk = spawnSync("python3", ["-c", "import sklearn, pandas"], { encoding: "utf8" });
    if (sk.status !== 0) {
      notes.push(
        "Classic-recipe reference (bench/peers/classic_recipe.py) skipped: scikit-learn or pandas missing.",
      );
      console.log(notes.at(-1));
    } else {
      const port2 = nextPort++;
      const c2 = await startProc(
        "python3",
        ["bench/peers/classic_recipe.py", bundle, String(port2)],
        `http://127.0.0.1:${port2}/docs`,
      );
      for (const c of quick ? [64] : [1, 64]) {
        record(
          "FastAPI + uvicorn, classic recipe (pickled sklearn pipeline, pandas)",
          await run(`http://127.0.0.1:${port2}/predict`, c, BODY),
        );
      }
      await c2.stop();
    }
  }

  // Goals.
  const find = (name, c) => results.find((r) => r.name.startsWith(name) && r.connections === c);
  const goals = [];
  for (const h of headToHead) {
    goals.push(
      `c=${h.connections}: /predict (1 worker) / bare fastify = ${h.medianRatio.toFixed(2)}x req/s (goal >= 0.8x; head to head, median of ${h.rounds} alternating ${h.secondsPerRound} s rounds, range ${h.minRatio.toFixed(2)}-${h.maxRatio.toFixed(2)}); server CPU per request ${h.oursCpuUsPerReq} µs vs ${h.bareCpuUsPerReq} µs`,
    );
  }
  for (const fa of [find("FastAPI + uvicorn, classic", 64), find("FastAPI + uvicorn, lean", 64)].filter(
    Boolean,
  )) {
    const peer = fa.name.includes("classic") ? "classic recipe" : "lean FastAPI";
    const best = [
      "lgbm serve /predict, micro-batching, 1 worker",
      "lgbm serve /predict, micro-batching, 2 workers",
    ]
      .map((n) => find(n, 64))
      .filter(Boolean);
    for (const b of best) {
      goals.push(
        `c=64: ${b.name.replace("lgbm serve /predict, ", "")}: ${(b.rps / fa.rps).toFixed(1)}x the ${peer}'s req/s (goal >= 40x), p99 ${b.p99_ms} ms vs ${fa.p99_ms} ms = 1/${(fa.p99_ms / Math.max(b.p99_ms, 0.001)).toFixed(1)} (goal <= 1/20)`,
      );
    }
  }
  for (const g of goals) console.log(g);

  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const out = {
    date: new Date().toISOString(),
    quick,
    durationSeconds: duration,
    bundle,
    machine,
    results,
    headToHead,
    goals,
    notes,
  };
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, "bench/results/http.json"), `${JSON.stringify(out, null, 2)}\n`);
  const md = [
    "# HTTP benchmark (`node bench/http/run.mjs`)",
    "",
    `${out.date}, ${machine.cpus} × ${machine.cpu}, Node ${machine.node}, ${duration} s per cell, bundle \`${bundle}\`.`,
    "Server: `lgbm serve --profile production` (API key auth, JSON logs, metrics on; `--rate-limit 0`). Load generator (autocannon) on the same machine.",
    "",
    "| scenario | connections | req/s | p50 ms | p99 ms | server CPU µs/req | non-2xx |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.connections} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.server_cpu_us_per_req ?? ""} | ${r.non2xx} |`,
    ),
    "",
    "Server CPU per request (user + system time of 1-process servers, from /proc) does not depend on how much CPU the",
    "load generator takes from the same cores, so it is the steadier comparison with the bare fastify route.",
    "",
    ...(headToHead.length
      ? [
          "Head to head with the bare fastify route (both servers up at once; alternating rounds; the goal's measurement):",
          "",
          "| connections | rounds × s | /predict / bare req/s (median) | range | bare req/s | /predict req/s | server CPU µs/req bare | ours |",
          "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
          ...headToHead.map(
            (h) =>
              `| ${h.connections} | ${h.rounds} × ${h.secondsPerRound} | ${h.medianRatio.toFixed(2)} | ${h.minRatio.toFixed(2)}–${h.maxRatio.toFixed(2)} | ${h.bareRps} | ${h.oursRps} | ${h.bareCpuUsPerReq ?? ""} | ${h.oursCpuUsPerReq ?? ""} |`,
          ),
          "",
        ]
      : []),
    ...(goals.length ? ["Goals:", "", ...goals.map((g) => `- ${g}`), ""] : []),
    ...(notes.length ? ["Notes:", "", ...notes.map((n) => `- ${n}`), ""] : []),
  ].join("\n");
  writeFileSync(join(ROOT, "bench/results/http.md"), md);
  console.log("wrote bench/results/http.json and bench/results/http.md");
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
