/**
 * Operating `lgbm serve`: hot reload (good and broken files) under load, graceful shutdown with requests
 * in flight, the prediction log and its rotation, and `--workers 2` with a worker killed (the real CLI).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLASSIC, FIXTURES, get, HR, post, ROOT, start } from "./fixtures/server/helpers.js";

const CLASSIC_P = 0.19910043145398545;
const tmp = mkdtempSync(join(tmpdir(), "lgbm-serve-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bundleCopy(name: string): string {
  const dir = join(tmp, name);
  cpSync(HR, dir, { recursive: true });
  return dir;
}

describe("hot reload", () => {
  it("reloads a new model without dropping requests; a broken file keeps the old model serving", async () => {
    const dir = bundleCopy("hr");
    const srv = await start(dir);
    try {
      let stop = false;
      const statuses: number[] = [];
      const load = (async () => {
        while (!stop) {
          const rs = await Promise.all(Array.from({ length: 8 }, () => post(srv.url, "/predict", CLASSIC)));
          for (const r of rs) statuses.push(r.status);
        }
      })();
      await new Promise((r) => setTimeout(r, 50));
      // A retrained model (same fields) via the V2 repository API.
      cpSync(join(FIXTURES, "hr-v2", "model.txt"), join(dir, "model.txt"));
      const ok = await post(srv.url, "/v2/repository/models/hr/load", {});
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ name: "hr", loaded: ["hr/1"], processes: 1 });
      const p2 = (await post(srv.url, "/predict", CLASSIC)).body.probability;
      expect(p2).not.toBe(CLASSIC_P);
      // A broken file: the reload fails, and the retrained model keeps serving.
      writeFileSync(join(dir, "model.txt"), "tree\nversion=v4\nnum_class=1\nthis is not a model\n");
      const bad = await post(srv.url, "/v2/repository/models/hr/load", {});
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/previous model keeps serving/);
      const viaSighupPath = await srv.reload();
      expect(viaSighupPath.failed).toHaveLength(1);
      expect((await post(srv.url, "/predict", CLASSIC)).body.probability).toBe(p2);
      // Back to the original file (what SIGHUP does: reload every model).
      cpSync(join(HR, "model.txt"), join(dir, "model.txt"));
      expect((await srv.reload()).loaded).toEqual(["hr/1"]);
      expect((await post(srv.url, "/predict", CLASSIC)).body.probability).toBe(CLASSIC_P);
      stop = true;
      await load;
      expect(statuses.length).toBeGreaterThan(8);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const metrics = (await get(srv.url, "/metrics")).text;
      expect(metrics).toMatch(/lgbm_model_reloads_total\{model="hr",result="failed"\} 2/);
      expect((await post(srv.url, "/v2/repository/models/nope/load", {})).status).toBe(400);
    } finally {
      await srv.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes every in-flight request before closing", async () => {
    const srv = await start(HR);
    const rows = Array.from({ length: 4000 }, (_, i) => ({
      ...CLASSIC,
      average_montly_hours: 100 + (i % 200),
    }));
    const body = JSON.stringify(rows);
    let received = 0;
    srv.app.server.on("request", () => {
      received++;
    });
    const inflight = Array.from({ length: 16 }, () => post(srv.url, "/predict/batch", body));
    // Shut down once every request has reached the server, while they run.
    while (received < 16) await new Promise((r) => setImmediate(r));
    const closing = srv.close();
    const results = await Promise.all(inflight);
    await closing;
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
    for (const r of results) expect(r.body.predictions).toHaveLength(4000);
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow();
  });
});

describe("prediction log", () => {
  it("appends one JSON line per prediction with input, output, model, version, latency, request id; rotates", async () => {
    const file = join(tmp, "pred", "predictions.jsonl");
    const srv = await start(HR, { predictionLog: file, predictionLogMaxBytes: 20_000, predictionLogKeep: 2 });
    try {
      await post(srv.url, "/predict", CLASSIC, { "x-request-id": "req-1" });
      await post(srv.url, "/predict/batch", [CLASSIC, CLASSIC], { "x-request-id": "req-2" });
    } finally {
      await srv.close();
    }
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      request_id: "req-1",
      model: "hr",
      version: "1",
      route: "predict",
      input: CLASSIC,
      output: { prediction: 0, probability: CLASSIC_P },
    });
    expect(lines[0].latency_ms).toBeGreaterThan(0);
    expect(lines[2]).toMatchObject({ request_id: "req-2", row: 1, route: "batch" });

    const srv2 = await start(HR, {
      predictionLog: file,
      predictionLogMaxBytes: 20_000,
      predictionLogKeep: 2,
    });
    try {
      for (let i = 0; i < 10; i++) await post(srv2.url, "/predict/batch", Array(40).fill(CLASSIC));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await srv2.close();
    }
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`]) {
      const text = readFileSync(f, "utf8");
      expect(text === "" || text.endsWith("\n")).toBe(true);
      for (const l of text.split("\n").filter(Boolean)) expect(JSON.parse(l).model).toBe("hr");
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}

describe("--workers 2 (the real CLI)", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
  });

  it("serves on one port from two processes and restarts a worker that dies", async () => {
    const port = await freePort();
    const logFile = join(tmp, "cluster.log");
    child = spawn(
      process.execPath,
      [
        "bin/lgbm.js",
        "serve",
        HR,
        "--workers",
        "2",
        "--port",
        String(port),
        "--profile",
        "test",
        "--log-level",
        "info",
        "--log-file",
        logFile,
        "--prediction-log",
        join(tmp, "cluster-predictions.jsonl"),
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    child.stdout?.resume();
    const base = `http://127.0.0.1:${port}`;
    // A new connection per request (fetch would keep one alive, and so talk to one worker only). Which
    // process answered: its request ids' per-process prefix (the probes do not tell the pid).
    const healthPid = () =>
      new Promise<string | undefined>((resolve) => {
        const req = request(`${base}/healthz`, { agent: false }, (res) => {
          res.resume();
          res.on("end", () =>
            resolve(res.statusCode === 200 ? String(res.headers["x-request-id"]).split("-")[0] : undefined),
          );
        });
        req.on("error", () => resolve(undefined));
        // A connection handed to a worker that is being killed can hang: give up on it.
        req.setTimeout(1000, () => req.destroy());
        req.end();
      });
    const pidsSeen = async (n: number) => {
      const pids = new Set<string>();
      for (let i = 0; i < n; i++) {
        const pid = await healthPid();
        if (pid !== undefined) pids.add(pid);
      }
      return pids;
    };
    const two = await waitFor(async () => {
      const p = await pidsSeen(8);
      return p.size === 2 ? p : undefined;
    }, 20_000).catch((err) => {
      throw new Error(`start: ${err.message}; stderr: ${stderr}`);
    });
    expect((await post(base, "/predict", CLASSIC)).body).toEqual({ prediction: 0, probability: CLASSIC_P });

    const online = () =>
      readFileSync(logFile, "utf8")
        .split("\n")
        .filter((l) => l.includes('"worker online"'))
        .map((l) => JSON.parse(l).workerPid as number);
    const victim = (await waitFor(async () => (online().length === 2 ? online() : undefined)))[0];
    process.kill(victim, "SIGKILL");
    // Requests keep being answered while the worker is restarted.
    const answered = await waitFor(async () => {
      const p = await pidsSeen(8);
      return p.size === 2 && [...p].some((id) => !two.has(id)) ? p : undefined;
    }, 20_000).catch((err) => {
      throw new Error(`restart: ${err.message}; stderr: ${stderr}; log: ${readFileSync(logFile, "utf8")}`);
    });
    expect(online()).toHaveLength(3);
    expect(answered.size).toBe(2);
    const rs = await Promise.all(Array.from({ length: 20 }, () => post(base, "/predict", CLASSIC)));
    expect(rs.every((r) => r.status === 200)).toBe(true);

    // SIGHUP to the primary reloads the models in every worker.
    child.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 1000));
    expect((await post(base, "/predict", CLASSIC)).status).toBe(200);

    const exit = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const code = await Promise.race([
      exit,
      new Promise((r) => setTimeout(() => r("no exit after 15 s"), 15_000)),
    ]);
    expect(code, `${stderr}\n${readFileSync(logFile, "utf8")}`).toBe(0);
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain("worker died; restarting");
    // Both workers reloaded twice: once the restarted worker served (so that all read the same files), and on SIGHUP.
    expect(log).toContain("worker restarted: reloading every worker from the files");
    expect(log.match(/"msg":"model reloaded"/g)?.length).toBe(4);
    // Each worker appends its own prediction log.
    const predLines = [1, 2, 3]
      .map((w) => join(tmp, `cluster-predictions.worker-${w}.jsonl`))
      .filter((f) => existsSync(f))
      .flatMap((f) => readFileSync(f, "utf8").split("\n").filter(Boolean));
    // (The killed worker loses what it had buffered: only requests after the restart are counted.)
    expect(predLines.length).toBeGreaterThanOrEqual(21);
  }, 60_000);
});

describe("request logging", () => {
  const lines = (file: string) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  it("with --log-requests, every request's lines carry its reqId; without, a request logs nothing", async () => {
    const on = join(tmp, "requests-on.log");
    const srv = await start(HR, { logFile: on, logLevel: "info", logRequests: true });
    try {
      expect((await post(srv.url, "/predict", CLASSIC, { "x-request-id": "logged-1" })).status).toBe(200);
      expect(
        (await post(srv.url, "/predict", { ...CLASSIC, salary: "huge" }, { "x-request-id": "logged-2" }))
          .status,
      ).toBe(422);
    } finally {
      await srv.close();
    }
    for (const id of ["logged-1", "logged-2"]) {
      const mine = lines(on).filter((l) => l.reqId === id);
      expect(
        mine.map((l) => l.msg),
        id,
      ).toEqual(["incoming request", "request completed"]);
      expect(mine[1].res.statusCode).toBe(id === "logged-1" ? 200 : 422);
      expect(mine[1].responseTime).toBeGreaterThan(0);
    }

    const off = join(tmp, "requests-off.log");
    const quiet = await start(HR, { logFile: off, logLevel: "info", logRequests: false });
    try {
      expect((await post(quiet.url, "/predict", CLASSIC, { "x-request-id": "quiet-1" })).status).toBe(200);
    } finally {
      await quiet.close();
    }
    const all = lines(off);
    expect(all.some((l) => l.msg === "server listening")).toBe(true);
    expect(all.filter((l) => l.reqId !== undefined)).toEqual([]);
  });
});

describe("internal errors", () => {
  it("are a 500 with a request id that is on the server's log line, without a stack trace", async () => {
    const logFile = join(tmp, "server.log");
    const srv = await start(HR, { logFile, logLevel: "error" });
    try {
      // Break the model under the server: the engine now throws on every call.
      srv.repo.get("hr")?.model.dispose();
      const r = await post(srv.url, "/predict", CLASSIC, { "x-request-id": "boom-1" });
      expect(r.status).toBe(500);
      expect(r.body).toEqual({ error: "internal server error", request_id: "boom-1" });
      const v2 = await post(srv.url, "/v2/models/hr/infer", {
        inputs: [{ name: "features", shape: [1, 20], datatype: "FP64", data: Array(20).fill(0) }],
      });
      expect(v2.status).toBe(500);
      expect(Object.keys(v2.body)).toEqual(["error"]);
      expect((await get(srv.url, "/healthz")).status).toBe(200);
    } finally {
      await srv.close();
    }
    const lines = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const line = lines.find((l) => l.reqId === "boom-1");
    expect(line).toMatchObject({ level: 50, msg: "internal error" });
    expect(line.err.stack).toBeTruthy();
  });
});
