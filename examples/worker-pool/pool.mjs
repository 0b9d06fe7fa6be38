// A worker_threads pool for lightgbm-node: each worker loads the model once, then predicts whatever
// batches it is sent; the pool hands each batch to the first idle worker. Node's own worker_threads,
// no dependency. (piscina works the same way: put the body of worker.mjs in a piscina task file.)
//
//   import { ModelPool } from "./pool.mjs";
//   const pool = await ModelPool.open("models/hr-attrition", { size: 2 });
//   const results = await pool.predict(records);          // named results, like model.predict(records)
//   const out = await pool.predictMatrix(matrix, nrow);     // Float64Array, like model.predict(matrix)
//   await pool.close();
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const WORKER = new URL("./worker.mjs", import.meta.url);

export class ModelPool {
  #workers = [];
  #idle = [];
  #queue = [];
  #pending = new Map();
  #nextId = 0;

  /** Starts `size` workers (default: one per core) and waits until each has loaded the model. */
  static async open(modelPath, { size = availableParallelism(), engine = "auto", numThreads = 1 } = {}) {
    const pool = new ModelPool();
    await Promise.all(Array.from({ length: size }, () => pool.#start({ modelPath, engine, numThreads })));
    return pool;
  }

  get size() {
    return this.#workers.length;
  }

  /** Tasks each worker has answered (to see the load spread). */
  stats() {
    return this.#workers.map((w) => ({ threadId: w.threadId, tasks: w.tasks ?? 0 }));
  }

  /** Named results for records (field name → value), as model.predict(records). */
  predict(records) {
    return this.#run({ kind: "records", records });
  }

  /**
   * A row-major Float64Array of nrow rows (copied to the worker; pass `transfer: true` to move its
   * buffer instead) → the model's output, as model.predict(matrix).
   */
  predictMatrix(data, nrow, { transfer = false } = {}) {
    return this.#run({ kind: "matrix", data, nrow }, transfer ? [data.buffer] : []);
  }

  /** Splits a big matrix into one chunk per worker and predicts the chunks in parallel. */
  async predictMatrixParallel(data, nrow) {
    const ncol = data.length / nrow;
    const chunk = Math.ceil(nrow / this.size);
    const parts = [];
    for (let r = 0; r < nrow; r += chunk) {
      const n = Math.min(chunk, nrow - r);
      parts.push(this.predictMatrix(data.subarray(r * ncol, (r + n) * ncol), n));
    }
    const outs = await Promise.all(parts);
    const result = new Float64Array(outs.reduce((s, o) => s + o.length, 0));
    let off = 0;
    for (const o of outs) {
      result.set(o, off);
      off += o.length;
    }
    return result;
  }

  /** Stops every worker (their models are freed with them). */
  async close() {
    for (const { reject } of this.#pending.values()) reject(new Error("pool closed"));
    this.#pending.clear();
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers = [];
    this.#idle = [];
  }

  #start(workerData) {
    return new Promise((resolve, reject) => {
      const w = new Worker(WORKER, { workerData });
      w.once("error", reject);
      w.once("message", (msg) => {
        if (msg.type !== "ready") return reject(new Error(msg.error ?? "worker failed to start"));
        w.off("error", reject);
        w.on("message", (m) => this.#done(w, m));
        w.on("error", (err) => this.#fail(w, err));
        this.#workers.push(w);
        this.#release(w);
        resolve();
      });
    });
  }

  #run(task, transfer = []) {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject });
      this.#queue.push({ msg: { id, ...task }, transfer });
      this.#dispatch();
    });
  }

  #dispatch() {
    while (this.#idle.length && this.#queue.length) {
      const w = this.#idle.pop();
      const { msg, transfer } = this.#queue.shift();
      w.busyWith = msg.id;
      w.postMessage(msg, transfer);
    }
  }

  #release(w) {
    w.busyWith = undefined;
    this.#idle.push(w);
    this.#dispatch();
  }

  #done(w, m) {
    w.tasks = (w.tasks ?? 0) + 1;
    const p = this.#pending.get(m.id);
    this.#pending.delete(m.id);
    if (p) {
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { name: m.error.name, issues: m.error.issues }));
      else p.resolve(m.result);
    }
    this.#release(w);
  }

  #fail(w, err) {
    const p = this.#pending.get(w.busyWith);
    this.#pending.delete(w.busyWith);
    p?.reject(err);
    this.#workers = this.#workers.filter((x) => x !== w);
    this.#idle = this.#idle.filter((x) => x !== w);
  }
}
