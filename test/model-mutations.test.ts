// No model file, whatever its bytes, may crash or hang the process (issue 14, item 1). A few hundred
// seeded mutations of real models (bit flips, same-length character changes in every kind of field,
// truncations, extra and missing values, other numbers, dropped and doubled lines) are each loaded and
// predicted in a child process on every engine, and reloaded into a running `lgbm serve` (V2 load route
// and SIGHUP). Pass: no child dies, none stops answering, every failure is one of the SDK's typed
// errors, and the server answers every reload and keeps serving the model it had.
// A bigger campaign: LGBM_MUTATIONS=5000 npx vitest run test/model-mutations.test.ts
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINE_NAMES } from "../src/engines/engine.js";
import { parseModel } from "../src/model-text/parse.js";
import { type Mutation, mutations } from "./helpers/mutate.js";
import { type FileResult, runFiles } from "./helpers/mutation-runner.js";
import { ZOO_DIR } from "./helpers/zoo.js";

const ROOT = join(import.meta.dirname, "..");
const COUNT = Number(process.env.LGBM_MUTATIONS ?? 320);
const SEED = Number(process.env.LGBM_MUTATION_SEED ?? 20261201);
/** The SDK's error classes: the only ways a load or a predict may fail. */
const TYPED = new Set([
  "ModelParseError",
  "LightGBMError",
  "ValidationError",
  "OnnxUnsupportedError",
  "OnnxExportError",
  "DisposedError",
  "NativeUnavailableError",
]);

/** The shipped model and zoo models covering every kind of field (categorical, linear, multiclass, rf). */
const BASES: [string, string, number][] = [
  ["hr", join(ROOT, "models/hr-attrition/model.txt"), 0.4],
  ["cat_wide", join(ZOO_DIR, "cat_wide/model.txt"), 0.15],
  ["linear", join(ZOO_DIR, "linear/model.txt"), 0.15],
  ["multiclassova", join(ZOO_DIR, "multiclassova/model.txt"), 0.1],
  ["rf", join(ZOO_DIR, "rf/model.txt"), 0.1],
  ["single_leaf", join(ZOO_DIR, "single_leaf/model.txt"), 0.1],
];

const tmp = mkdtempSync(join(tmpdir(), "lgbm-mutations-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const all: Mutation[] = BASES.flatMap(([name, file, share], b) =>
  mutations(name, readFileSync(file, "utf8"), Math.round(COUNT * share), SEED + b),
);
const files = all.map((m, i) => {
  const file = join(tmp, `m${i}.txt`);
  writeFileSync(file, m.bytes);
  return file;
});

describe("mutated model files", () => {
  let results: FileResult[] = [];
  beforeAll(async () => {
    const tty = process.stderr.isTTY && !process.env.CI;
    results = await runFiles(files, {
      workDir: tmp,
      onFile: tty ? (done, total) => process.stderr.write(`\rmutations: ${done}/${total}`) : undefined,
    });
    if (tty) process.stderr.write("\n");
  }, 600_000);

  it("are deterministic and cover every kind of mutation and every kind of field", () => {
    const again = mutations("hr", readFileSync(BASES[0][1], "utf8"), 20, SEED);
    expect(again.map((m) => m.bytes.toString("base64"))).toEqual(
      all.slice(0, 20).map((m) => m.bytes.toString("base64")),
    );
    const kinds = new Set(all.map((m) => m.kind));
    expect([...kinds].sort()).toEqual(["bitflip", "char", "extra", "line", "missing", "number", "truncate"]);
    const charFields = new Set(all.filter((m) => m.kind === "char").map((m) => m.field));
    for (const f of ["num_class", "objective", "feature_names", "feature_infos", "tree_sizes", "Tree="]) {
      expect(charFields, f).toContain(f);
    }
    for (const f of [
      "num_leaves",
      "split_feature",
      "threshold",
      "decision_type",
      "left_child",
      "leaf_value",
    ]) {
      expect(charFields, f).toContain(f);
    }
    for (const f of ["cat_boundaries", "cat_threshold", "leaf_const", "leaf_coeff", "internal_weight"]) {
      expect(charFields, f).toContain(f);
    }
  });

  it("never crash or hang a process, on any engine", () => {
    const dead = results
      .map((r, i) => ({ r, m: all[i] }))
      .filter(({ r }) => r.crash !== undefined || r.hang === true || r.outcomes === undefined)
      .map(({ r, m }) => `${m.name}: ${r.hang ? "hang" : JSON.stringify(r.crash)}`);
    expect(dead).toEqual([]);
  });

  it("fail only with the SDK's typed errors, on every engine and every step", () => {
    const untyped: string[] = [];
    const tally: Record<string, number> = {};
    results.forEach((r, i) => {
      expect(Object.keys(r.outcomes ?? {}).sort()).toEqual([...ENGINE_NAMES].sort());
      for (const [engine, steps] of Object.entries(r.outcomes ?? {})) {
        for (const [step, outcome] of Object.entries(steps)) {
          const name = outcome === "ok" ? "ok" : outcome.slice(0, outcome.indexOf(":"));
          if (step === "load") tally[`${engine} ${name}`] = (tally[`${engine} ${name}`] ?? 0) + 1;
          if (name !== "ok" && !TYPED.has(name)) untyped.push(`${all[i].name} ${engine} ${step}: ${outcome}`);
        }
      }
    });
    if (process.env.LGBM_MUTATIONS) console.log(`${all.length} mutations, load outcomes:`, tally);
    expect(untyped).toEqual([]);
    // Both outcomes occur: the mutations are neither all harmless nor all caught by a trivial check.
    expect(tally["native ok"]).toBeGreaterThan(0);
    expect(tally["native ModelParseError"]).toBeGreaterThan(COUNT / 4);
  });

  it("are never loaded by one engine and refused as malformed by another (one parser decides)", () => {
    // (an engine may still refuse a well-formed model it cannot run: onnx and linear trees)
    const disagree = results
      .map((r, i) => ({ r, m: all[i] }))
      .filter(({ r }) => r.outcomes !== undefined)
      .filter(({ r }) => {
        const loads = Object.values(r.outcomes!).map((s) => s.load);
        return loads.includes("ok") && loads.some((l) => l.startsWith("ModelParseError"));
      })
      .map(
        ({ r, m }) =>
          `${m.name}: ${JSON.stringify(Object.fromEntries(Object.entries(r.outcomes!).map(([e, s]) => [e, s.load])))}`,
      );
    expect(disagree).toEqual([]);
  });
});

describe("mutated model files reloaded into a running server", () => {
  const repo = join(tmp, "repo");
  const modelFile = join(repo, "m", "model.txt");
  const good = readFileSync(BASES[0][1]);
  const served = all.filter((m) => m.name.startsWith("hr/"));
  let server: ChildProcess;
  let base = "";
  let stderr = "";
  /** The server's log: JSON lines on its stdout (the --log-file copy is written in blocks). */
  const log: Record<string, any>[] = [];

  beforeAll(async () => {
    mkdirSync(join(repo, "m"), { recursive: true });
    writeFileSync(modelFile, good);
    server = spawn(
      process.execPath,
      [join(ROOT, "bin/lgbm.js"), "serve", repo, "--port", "0", "--log-level", "info"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, LGBM_PROFILE: "test", LGBM_LOG_FORMAT: "json" },
      },
    );
    let pending = "";
    server.stdout?.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith("{")) log.push(JSON.parse(l));
    });
    server.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const line = await waitForLog((l) => l.msg === "server listening", 30_000);
    base = `http://127.0.0.1:${line.port}`;
  }, 60_000);

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  });

  async function waitForLog(pred: (l: Record<string, any>) => boolean, ms: number, after = 0) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const found = log.slice(after).find(pred);
      if (found) return found;
      if (server.exitCode !== null) throw new Error(`server exited (${server.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no such log line within ${ms} ms: ${stderr}`);
  }

  /** One prediction of the served model through V2, its inputs read from the model's metadata. */
  async function predictOnce(): Promise<unknown> {
    const meta = (await (await fetch(`${base}/v2/models/m`)).json()) as {
      inputs: { name: string; datatype: string }[];
    };
    const inputs = meta.inputs.map((t: { name: string; datatype: string }, i: number) => ({
      name: t.name,
      datatype: t.datatype,
      shape: [1],
      data: [(i % 5) * 0.25],
    }));
    const res = await fetch(`${base}/v2/models/m/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { outputs: unknown }).outputs;
  }

  async function restore() {
    writeFileSync(modelFile, good);
    const res = await fetch(`${base}/v2/repository/models/m/load`, { method: "POST" });
    expect(res.status).toBe(200);
  }

  it("the V2 load route answers every reload (200 or 400 with a JSON error) and keeps the old model on failure", async () => {
    const baseline = await predictOnce();
    let failed = 0;
    for (const m of served) {
      writeFileSync(modelFile, m.bytes);
      const res = await fetch(`${base}/v2/repository/models/m/load`, { method: "POST" });
      const body = (await res.json()) as { error?: string };
      expect([200, 400], `${m.name}: ${JSON.stringify(body)}`).toContain(res.status);
      if (res.status === 400) {
        failed++;
        expect(body.error, m.name).toMatch(/reload failed, the previous model keeps serving/);
        expect(await predictOnce(), m.name).toEqual(baseline);
      } else {
        await restore();
      }
    }
    expect(failed).toBeGreaterThan(served.length / 4);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
    expect(server.exitCode).toBeNull();
  }, 300_000);

  it("SIGHUP with a broken file logs the failure and keeps serving", async () => {
    const baseline = await predictOnce();
    let checked = 0;
    for (const m of served.slice(0, 15)) {
      writeFileSync(modelFile, m.bytes);
      const mark = log.length;
      server.kill("SIGHUP");
      const line = await waitForLog(
        (l) => l.msg === "model reloaded" || String(l.msg).startsWith("model reload failed"),
        20_000,
        mark,
      );
      expect((await fetch(`${base}/v2/health/live`)).status, m.name).toBe(200);
      if (line.msg === "model reloaded") {
        await restore();
      } else {
        checked++;
        expect(await predictOnce(), m.name).toEqual(baseline);
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(server.exitCode).toBeNull();
  }, 300_000);
});

describe("broken model files reloaded into a server with --workers 2", () => {
  it("SIGHUP reaches both workers; each logs the failure, none dies, the old model keeps answering", async () => {
    const repo = join(tmp, "repo2");
    const modelFile = join(repo, "m", "model.txt");
    mkdirSync(join(repo, "m"), { recursive: true });
    writeFileSync(modelFile, readFileSync(BASES[0][1]));
    const broken = all
      .filter((m) => m.name.startsWith("hr/"))
      .filter((m) => {
        try {
          parseModel(m.bytes.toString("utf8"));
          return false;
        } catch {
          return true;
        }
      })
      .slice(0, 5);
    const log: Record<string, any>[] = [];
    const server = spawn(
      process.execPath,
      [join(ROOT, "bin/lgbm.js"), "serve", repo, "--port", "0", "--workers", "2", "--log-level", "info"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, LGBM_PROFILE: "test", LGBM_LOG_FORMAT: "json" },
      },
    );
    let pending = "";
    server.stdout?.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) if (l.startsWith("{")) log.push(JSON.parse(l));
    });
    const waitFor = async (pred: (l: Record<string, any>) => boolean, count: number, after: number) => {
      const end = Date.now() + 30_000;
      while (log.slice(after).filter(pred).length < count) {
        if (Date.now() > end || server.exitCode !== null) throw new Error(`waiting for ${count} log lines`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return log.slice(after).filter(pred);
    };
    try {
      const listening = await waitFor((l) => l.msg === "server listening", 2, 0);
      const base = `http://127.0.0.1:${listening[0].port}`;
      for (const m of broken) {
        writeFileSync(modelFile, m.bytes);
        const mark = log.length;
        server.kill("SIGHUP");
        await waitFor((l) => String(l.msg).startsWith("model reload failed"), 2, mark);
        expect((await fetch(`${base}/v2/health/ready`)).status, m.name).toBe(200);
        expect((await fetch(`${base}/v2/models/m/ready`)).status, m.name).toBe(200);
      }
      expect(log.filter((l) => l.msg === "worker died; restarting")).toEqual([]);
    } finally {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
  }, 120_000);
});
