#!/usr/bin/env node
/**
 * Soak: `lgbm serve --workers 2` under load while its operators do the worst they routinely do. Not a
 * test: the numbers depend on the machine.
 *
 *   npm run build:ts && node bench/soak.mjs [--duration 60] [--connections 256] [--reload-every 5]
 *     [--kill-every 10] [--workers 2]
 *
 * autocannon sends POST /predict (the classic body) on `--connections` keep-alive connections for
 * `--duration` seconds. Meanwhile, every `--reload-every` seconds the bundle's model.txt is replaced,
 * alternately by a broken file (one character of an internal_weight, the mutation that used to abort
 * LightGBM's loader) and by a good one (the server tests' model and the same model retrained,
 * in turn), and
 * POST /v2/repository/models/{name}/load asks for the reload (a good file must answer 200 on every
 * worker, a broken one 400 with the old model serving); every `--kill-every` seconds (half a reload
 * period after a reload, so each failure is attributable) a worker is killed
 * with SIGKILL (the primary restarts it: a restart while the file on disk is broken fails until a good
 * file is back). The resident memory of the primary and the workers is read from /proc every second.
 * Reported: requests answered 2xx, answered otherwise (by status), failed without an answer (a killed
 * worker's connections), latency, reload answers, restarts, RSS. Writes bench/results/soak.json and .md.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const DURATION = opt("--duration", 60);
const CONNECTIONS = opt("--connections", 256);
const RELOAD_EVERY = opt("--reload-every", 5);
const KILL_EVERY = opt("--kill-every", 10);
const WORKERS = opt("--workers", 2);
const tty = process.stderr.isTTY;
const say = (s) => process.stderr.write(`${s}\n`);

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

const tmp = mkdtempSync(join(tmpdir(), "lgbm-soak-"));
const bundle = join(tmp, "hr");
// The server tests' bundle, and the same model retrained (test/fixtures/server/make_fixtures.py).
const FIXTURES = join(ROOT, "test/fixtures/server");
cpSync(join(FIXTURES, "hr"), bundle, { recursive: true });
const good = [join(FIXTURES, "hr/model.txt"), join(FIXTURES, "hr-v2/model.txt")].map((f) =>
  readFileSync(f, "utf8"),
);
// Broken the way that used to abort LightGBM's loader (issue 14): one character of tree 0's first
// internal_weight replaced, same length (e.g. internal_weight=2184.58 -> 2>84.58).
const broken = good[0].replace(/internal_weight=(\d)\d/, "internal_weight=$1>");
if (broken === good[0]) throw new Error("soak: no internal_weight to break in the model");

const port = 19000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const logFile = join(tmp, "server.log");
const server = spawn(
  process.execPath,
  [
    join(ROOT, "bin/lgbm.js"),
    "serve",
    bundle,
    "--workers",
    String(WORKERS),
    "--port",
    String(port),
    "--profile",
    "test",
    "--log-level",
    "info",
    "--log-file",
    logFile,
  ],
  { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
);
process.on("exit", () => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

const call = (method, path, body) =>
  new Promise((resolve) => {
    const req = request(
      base + path,
      { method, agent: false, headers: body ? { "content-type": "application/json" } : {} },
      (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on("error", (err) => resolve({ status: 0, text: err.message }));
    req.end(body ? JSON.stringify(body) : undefined);
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const workers = () => {
  try {
    return readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
const rssOf = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

// Up: every worker answering.
for (let t = 0; ; t++) {
  if ((await call("GET", "/readyz")).status === 200 && workers().length === WORKERS) break;
  if (t > 300) throw new Error("the server did not start");
  await sleep(100);
}
await sleep(500);

const rss = { primary: [], workers: [] };
const sampleRss = () => {
  rss.primary.push(rssOf(server.pid));
  rss.workers.push(workers().reduce((s, p) => s + rssOf(p), 0));
};
sampleRss();
const start = Date.now();
const events = [];
const note = (e) => {
  events.push({ t: Math.round((Date.now() - start) / 100) / 10, ...e });
  if (tty) say(`  ${events.at(-1).t}s ${JSON.stringify(e)}`);
};

const load = autocannon({
  url: `${base}/predict`,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(CLASSIC),
  connections: CONNECTIONS,
  duration: DURATION,
});
if (tty) autocannon.track(load, { renderProgressBar: true, renderResultsTable: false });

const rssTimer = setInterval(sampleRss, 1000);
let reloads = 0;
const reloadTimer = setInterval(async () => {
  reloads++;
  const isGood = reloads % 2 === 0;
  writeFileSync(join(bundle, "model.txt"), isGood ? good[(reloads / 2) % 2] : broken);
  const n = reloads;
  const r = await call("POST", "/v2/repository/models/hr/load", {});
  note({ reload: isGood ? "good" : "broken", n, status: r.status, answer: r.text.slice(0, 160) });
}, RELOAD_EVERY * 1000);
// Kills half a reload period after the reloads, so that each answer is the reload's or the kill's.
let killTimer;
const killStart = setTimeout(
  () => {
    kill();
    killTimer = setInterval(kill, KILL_EVERY * 1000);
  },
  (KILL_EVERY - RELOAD_EVERY / 2) * 1000,
);
function kill() {
  const pids = workers();
  if (pids.length === 0) return note({ kill: "no worker running" });
  const pid = pids[0];
  try {
    process.kill(pid, "SIGKILL");
    note({ kill: pid });
  } catch (err) {
    note({ kill: pid, error: err.message });
  }
}

const result = await load;
clearInterval(reloadTimer);
clearTimeout(killStart);
clearInterval(killTimer);
clearInterval(rssTimer);
sampleRss();
// The server after the soak: ready, every worker back, the last good model.
writeFileSync(join(bundle, "model.txt"), good[0]);
const finalLoad = await call("POST", "/v2/repository/models/hr/load", {});
for (let t = 0; t < 100 && workers().length < WORKERS; t++) await sleep(100);
const after = {
  ready: (await call("GET", "/readyz")).status,
  workers: workers().length,
  finalLoad: finalLoad.status,
  predict: (await call("POST", "/predict", CLASSIC)).status,
};
server.kill("SIGTERM");
const exitCode = await new Promise((r) => server.once("exit", (c) => r(c)));
const log = existsSync(logFile)
  ? readFileSync(logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
if (!args.includes("--keep")) rmSync(tmp, { recursive: true, force: true });
else say(`kept ${tmp}`);

const statuses = {};
for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statuses[k] = v.count;
const mb = (b) => Math.round(b / 1024 / 1024);
const report = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores, ${process.version}`,
  settings: {
    duration: DURATION,
    connections: CONNECTIONS,
    reloadEvery: RELOAD_EVERY,
    killEvery: KILL_EVERY,
    workers: WORKERS,
  },
  requests: {
    sent: result.requests.sent,
    answered2xx: result["2xx"],
    answeredNon2xx: result.non2xx,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    perSecond: Math.round(result.requests.average),
  },
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  reloads: events
    .filter((e) => e.reload)
    .sort((a, b) => a.n - b.n)
    .map((e) => `${e.reload} ${e.status}`),
  kills: events.filter((e) => e.kill).length,
  restarts: log.filter((l) => l.msg === "worker died; restarting").length,
  rssMB: {
    primaryMax: mb(Math.max(...rss.primary)),
    workersStart: mb(rss.workers[0]),
    workersMax: mb(Math.max(...rss.workers)),
    workersEnd: mb(rss.workers.at(-1)),
  },
  after: { ...after, exitCode },
  events,
};
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, "bench/results/soak.json"), `${JSON.stringify(report, null, 2)}\n`);
const md = [
  `# Soak: lgbm serve --workers ${WORKERS}, ${DURATION} s at ${CONNECTIONS} connections`,
  "",
  `${report.date}, ${report.machine}. A reload every ${RELOAD_EVERY} s (broken and good files in turn), a worker killed (SIGKILL) every ${KILL_EVERY} s.`,
  "",
  "| requests sent | answered 2xx | answered otherwise | no answer (errors / timeouts) | req/s | p50 ms | p99 ms |",
  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  `| ${report.requests.sent} | ${report.requests.answered2xx} | ${report.requests.answeredNon2xx} ${JSON.stringify(statuses)} | ${report.requests.errors} / ${report.requests.timeouts} | ${report.requests.perSecond} | ${report.latencyMs.p50} | ${report.latencyMs.p99} |`,
  "",
  `Reload answers: ${report.reloads.join(", ")}. Workers killed: ${report.kills}, restarts: ${report.restarts}.`,
  `RSS (MB): workers together ${report.rssMB.workersStart} at start, ${report.rssMB.workersMax} at most, ${report.rssMB.workersEnd} at the end; primary at most ${report.rssMB.primaryMax}.`,
  `After: /readyz ${after.ready}, ${after.workers} workers, a good reload ${after.finalLoad}, /predict ${after.predict}, SIGTERM exit code ${exitCode}.`,
  "",
].join("\n");
writeFileSync(join(ROOT, "bench/results/soak.md"), md);
process.stdout.write(md);
