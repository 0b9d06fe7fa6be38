// The addon is context-aware: it loads in several worker_threads at once, each with its own boosters,
// and worker.terminate() in the middle of a native call does not abort the process.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { NativeEngine } from "../src/engines/native.js";
import { loadZooCase } from "./helpers/zoo.js";

const addon = join(import.meta.dirname, "../build/Release/lightgbm_node.node");
const c = loadZooCase("multiclass");

// Plain JS in the worker: it exercises the addon itself, loaded fresh in each worker's environment.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { Booster, RowPredictor } = require(workerData.addon);
const booster = new Booster("string", workerData.modelText);
const X = new Float64Array(workerData.X);
parentPort.on("message", async (msg) => {
  if (msg === "predict") {
    const sync = booster.predict(X, workerData.nrow, workerData.ncol, 1, 0, -1, "num_threads=1");
    const async_ = await new Promise((resolve, reject) =>
      booster.predictAsync(X, workerData.nrow, workerData.ncol, 1, 0, -1, "num_threads=1", (err, out) =>
        err ? reject(err) : resolve(out)));
    const rows = [];
    const input = new Float64Array(workerData.ncol), output = new Float64Array(3);
    const rp = new RowPredictor(booster, 1, 0, -1, input, output);
    for (let r = 0; r < workerData.nrow; r++) {
      input.set(X.subarray(r * workerData.ncol, (r + 1) * workerData.ncol));
      rp.run();
      rows.push(...output);
    }
    parentPort.postMessage({ sync: Array.from(sync), async: Array.from(async_), rows });
  } else if (msg === "spin") {
    const big = new Float64Array(X.length * 2000);
    for (let i = 0; i < 2000; i++) big.set(X, i * X.length);
    parentPort.postMessage("spinning");
    for (;;) booster.predict(big, workerData.nrow * 2000, workerData.ncol, 1, 0, -1, "num_threads=1");
  }
});
`;

function startWorker(): Worker {
  return new Worker(workerSource, {
    eval: true,
    workerData: { addon, modelText: c.modelText, X: Array.from(c.X), nrow: c.nrow, ncol: c.ncol },
  });
}

function next<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

describe("worker_threads", () => {
  it("several workers predict at once and agree with LightGBM", async () => {
    const workers = [startWorker(), startWorker(), startWorker()];
    try {
      const results = await Promise.all(
        workers.map((w) => {
          const p = next<{ sync: number[]; async: number[]; rows: number[] }>(w);
          w.postMessage("predict");
          return p;
        }),
      );
      const want = Array.from(c.expected.raw!);
      for (const r of results) {
        expect(r.sync).toEqual(want);
        expect(r.async).toEqual(want);
        expect(r.rows).toEqual(want);
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });

  it("terminate() during a long native call does not abort the process", async () => {
    const w = startWorker();
    const ready = next(w);
    w.postMessage("spin");
    await ready;
    await new Promise((r) => setTimeout(r, 100));
    const code = await w.terminate();
    expect(typeof code).toBe("number");
    // The process is alive and the addon still works on this thread and in a new worker.
    const engine = NativeEngine.fromString(c.modelText);
    expect(Array.from(engine.predict(c.X, c.nrow, { type: "raw" }))).toEqual(Array.from(c.expected.raw!));
    engine.dispose();
    const again = startWorker();
    const p = next<{ sync: number[] }>(again);
    again.postMessage("predict");
    expect((await p).sync).toEqual(Array.from(c.expected.raw!));
    await again.terminate();
  });
});
