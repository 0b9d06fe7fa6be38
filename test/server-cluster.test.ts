/**
 * `lgbm serve --workers 2` (the real CLI, real cluster workers) is one server (issue 14): a model loaded
 * or unloaded through any worker (REST or gRPC) is loaded or unloaded on every worker, and a file that
 * does not load on them leaves the old model serving everywhere; one /metrics scrape shows the whole
 * server; a restarted worker keeps its prediction-log file, and `lgbm drift --log` reads every worker's
 * file through one pattern or the folder; SIGHUP to the primary with the model deleted is an error.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLASSIC, FIXTURES, freePort, grpcCall, grpcClient, HR, ROOT } from "./fixtures/server/helpers.js";

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "lgbm-cluster-"));
const bundle = join(tmp, "hr");
const logDir = join(tmp, "logs");
const logFile = join(tmp, "server.log");
const CLASSIC_P = 0.19910043145398545;
/** The same fields as the test bundle, with the reference statistics `lgbm drift` compares against. */
const SHIPPED = join(ROOT, "models/hr-attrition");
let child: ChildProcess;
let port: number;
let grpcPort: number;
let stderr = "";

interface Answer {
  status: number;
  body: any;
  text: string;
  /** The answering process: its request ids' per-process prefix. */
  process: string;
}

/** One request on a new connection (a kept-alive one would always reach the same worker). */
function fresh(method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${port}${path}`,
      { method, agent: false, headers: body === undefined ? {} : { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // the metrics text
          }
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            text,
            process: String(res.headers["x-request-id"]).split("-")[0],
          });
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** `n` answers on new connections, until both workers answered among them. */
async function fromBoth(method: string, path: string, body?: unknown, n = 10): Promise<Answer[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const answers: Answer[] = [];
    for (let i = 0; i < n; i++) answers.push(await fresh(method, path, body));
    if (new Set(answers.map((a) => a.process)).size === 2) return answers;
  }
  throw new Error(`${method} ${path}: only one worker answered; stderr: ${stderr}`);
}

const logLines = () =>
  readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const metric = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(series));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
};

beforeAll(async () => {
  cpSync(HR, bundle, { recursive: true });
  port = await freePort();
  grpcPort = await freePort();
  child = spawn(
    process.execPath,
    [
      "bin/lgbm.js",
      "serve",
      bundle,
      "--workers",
      "2",
      "--port",
      String(port),
      "--grpc-port",
      String(grpcPort),
      "--profile",
      "test",
      "--log-level",
      "info",
      "--log-file",
      logFile,
      "--prediction-log",
      join(logDir, "predictions.jsonl"),
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  await until("two workers answer", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await fresh("GET", "/readyz")).process);
    return seen.size === 2 ? true : undefined;
  });
}, 30_000);
afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

describe("one /metrics scrape shows the whole server (item 12)", () => {
  it("counters summed over the workers, from whichever worker answers; the primary's worker count", async () => {
    const predictions = await fromBoth("POST", "/predict", CLASSIC, 12);
    expect(predictions.every((a) => a.status === 200)).toBe(true);
    const scrapes = await fromBoth("GET", "/metrics", undefined, 6);
    for (const s of scrapes) {
      expect(metric(s.text, 'lgbm_http_requests_total{method="POST",route="/predict",status="200"}')).toBe(
        predictions.length,
      );
      expect(metric(s.text, 'lgbm_predictions_total{model="hr",version="1",class="0"}')).toBe(
        predictions.length,
      );
      expect(metric(s.text, "lgbm_cluster_workers")).toBe(2);
      expect(s.text).not.toMatch(/worker="/);
      // One series per label set: the workers' are added up, not listed side by side.
      expect(s.text.match(/^lgbm_model_info\{/gm)).toHaveLength(1);
      expect(metric(s.text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    }
  });
});

describe("a reload reaches every worker (item 11)", () => {
  it("REST load: every worker serves the new file, /models shows one hash; a broken file changes nothing anywhere", async () => {
    const before = await fromBoth("GET", "/models");
    expect(new Set(before.map((a) => a.body.models[0].sha256)).size).toBe(1);
    cpSync(join(FIXTURES, "hr-v2", "model.txt"), join(bundle, "model.txt"));
    const load = await fresh("POST", "/v2/repository/models/hr/load", {});
    expect(load.status).toBe(200);
    expect(load.body).toEqual({ name: "hr", loaded: ["hr/1"], processes: 2 });
    const answers = await fromBoth("POST", "/predict", CLASSIC);
    const probabilities = new Set(answers.map((a) => a.body.probability));
    expect(probabilities.size).toBe(1);
    expect(probabilities.has(CLASSIC_P)).toBe(false);
    const after = await fromBoth("GET", "/models");
    const hashes = new Set(after.map((a) => a.body.models[0].sha256));
    expect(hashes.size).toBe(1);
    expect(hashes.has(before[0].body.models[0].sha256)).toBe(false);

    writeFileSync(join(bundle, "model.txt"), "tree\nversion=v4\nnum_class=1\nthis is not a model\n");
    const bad = await fresh("POST", "/v2/repository/models/hr/load", {});
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/previous model keeps serving: hr\/1: .*\(workers 1, 2 of 2\)/);
    const still = await fromBoth("GET", "/models");
    expect(new Set(still.map((a) => a.body.models[0].sha256))).toEqual(hashes);
  });

  it("unload and gRPC RepositoryModelLoad: every worker, whichever answers", async () => {
    const unload = await fresh("POST", "/v2/repository/models/hr/unload", {});
    expect(unload.status).toBe(200);
    const gone = await fromBoth("GET", "/v2/models/hr/ready");
    expect(gone.every((a) => a.status === 404)).toBe(true);
    cpSync(join(HR, "model.txt"), join(bundle, "model.txt"));
    const c = grpcClient(grpcPort);
    try {
      const r = await grpcCall(c, "RepositoryModelLoad", { model_name: "hr" });
      expect(r.ok, r.ok ? "" : r.error.details).toBe(true);
    } finally {
      c.close();
    }
    const back = await fromBoth("POST", "/predict", CLASSIC);
    expect(back.every((a) => a.status === 200 && a.body.probability === CLASSIC_P)).toBe(true);
  });
});

describe("restarted workers: the same model as the others (item 11), their prediction logs (item 13)", () => {
  it("a restarted worker serves what the others serve and keeps its log file; lgbm drift reads every worker's through one pattern or the folder", async () => {
    const online = () => logLines().filter((l) => l.msg === "worker online");
    const victim = online().at(-1);
    const served = (await fromBoth("GET", "/models"))[0].body.models[0].sha256;
    // The model file changes on disk without a reload: the restarted worker reads it, and then every
    // worker reloads, so that they never serve different models.
    cpSync(join(FIXTURES, "hr-v2", "model.txt"), join(bundle, "model.txt"));
    const t0 = new Date().toISOString();
    process.kill(victim.workerPid, "SIGKILL");
    await until("the worker restarted", () => (online().length === 3 ? true : undefined));
    await until("two workers answer", async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 8; i++) seen.add((await fresh("GET", "/readyz")).process);
      return seen.size === 2 ? true : undefined;
    });
    expect(online().at(-1).worker).toBe(victim.worker);
    await until("every worker reloaded", () =>
      logLines().some((l) => l.time >= t0 && l.role === "primary" && l.msg === "reloaded on every worker")
        ? true
        : undefined,
    );
    const hashes = new Set((await fromBoth("GET", "/models")).map((a) => a.body.models[0].sha256));
    expect(hashes.size).toBe(1);
    expect(hashes.has(served)).toBe(false);
    await fromBoth("POST", "/predict", CLASSIC, 10);
    await new Promise((r) => setTimeout(r, 1000)); // every line on disk (flushed within a second)
    const files = readdirSync(logDir).sort();
    expect(files).toEqual(["predictions.worker-1.jsonl", "predictions.worker-2.jsonl"]);
    const lines = files.flatMap((f) => readFileSync(join(logDir, f), "utf8").split("\n").filter(Boolean));
    for (const log of [join(logDir, "predictions*.jsonl*"), logDir]) {
      const { stdout } = await run(
        process.execPath,
        ["bin/lgbm.js", "drift", "--bundle", SHIPPED, "--log", log, "--json"],
        {
          cwd: ROOT,
        },
      );
      const report = JSON.parse(stdout);
      expect(report.rows, log).toBe(lines.length);
      expect(report.log.split(", ")).toHaveLength(2);
    }
  });
});

describe("SIGHUP to the primary (item 6)", () => {
  it("with the model's file deleted: an error line per worker, failed reloads counted, the old model serving", async () => {
    // Lines logged from now on (each process writes its own, within half a second: wait for all three).
    const t0 = new Date().toISOString();
    const failures = () =>
      logLines().filter((l) => l.time >= t0 && l.level >= 50 && /reload failed/.test(l.msg));
    rmSync(join(bundle, "model.txt"));
    child.kill("SIGHUP");
    const lines = await until("the primary's and both workers' error lines", () => {
      const f = failures();
      const workers = new Set(f.filter((l) => l.worker !== undefined).map((l) => l.worker));
      return f.some((l) => l.role === "primary") && workers.size === 2 ? f : undefined;
    });
    expect(lines.find((l) => l.role === "primary").err).toMatch(
      /holds no model.*\(workers [12], [12] of 2\)/,
    );
    const m = (await fresh("GET", "/metrics")).text;
    expect(metric(m, 'lgbm_model_reloads_total{model="hr",result="failed"}')).toBeGreaterThanOrEqual(2);
    const still = await fromBoth("POST", "/predict", CLASSIC);
    expect(still.every((a) => a.status === 200)).toBe(true);
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});
