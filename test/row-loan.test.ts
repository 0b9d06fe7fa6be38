/**
 * Rows lent to compiled-forest worker threads (native/row_loan.h): the addon's loan calls on their own
 * (bounds on both sides, a loan that ended copies nothing, a torn-down environment's loans end), and the
 * native engine's threaded batches, whose workers copy their own blocks of a lent batch (under
 * LEND_MAX_ROWS rows a round): one thread's bits, also on a wide model whose batch takes several lent
 * rounds of the job region, and no loan left open afterwards. The batch's output array is lent the same
 * way, writable: every thread writes its blocks' outputs into it.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { LEND_MAX_ROWS } from "../src/compiled/pool.js";
import { lentCopier } from "../src/compiled/pool-node.js";
import { requireWebAssembly } from "../src/compiled/wasm-api.js";
import type { NativeEngine } from "../src/engines/native.js";
import { loadBinding, loadedAddon } from "../src/native/binding.js";
import { oneTreeModel } from "./helpers/one-tree-model.js";
import { firstNotIdentical, loadZoo } from "./js-fixtures.js";

const binding = loadBinding();

describe("a loan of rows (the addon)", () => {
  const memory = new (requireWebAssembly().Memory)({ initial: 1, maximum: 4, shared: true });
  const dst = new Uint8Array(memory.buffer);
  const rows = Float64Array.from({ length: 64 }, (_, i) => i * 1.5 - 7);

  it("copies the lent rows' bytes, from the lent view's start, into shared memory", () => {
    const before = binding.openLoans();
    const token = binding.lendRows(rows.subarray(8, 40));
    expect(binding.openLoans()).toBe(before + 1);
    expect(token).toBeGreaterThan(0); // it travels in an Int32Array slot
    expect(token).toBeLessThan(2 ** 31);
    expect(binding.copyLent(token, 16, dst, 1024, 80)).toBe(true);
    expect(Array.from(new Float64Array(memory.buffer, 1024, 10))).toEqual(Array.from(rows.subarray(10, 20)));
    binding.endLoan(token);
    expect(binding.openLoans()).toBe(before);
  });

  it("refuses copies outside the loan or the destination, and copies nothing once the loan ended", () => {
    const token = binding.lendRows(rows.subarray(0, 32)); // 256 bytes
    try {
      expect(() => binding.copyLent(token, 200, dst, 0, 64)).toThrow(/outside the lent rows/);
      expect(() => binding.copyLent(token, 0, dst, dst.byteLength - 8, 16)).toThrow(/does not fit in dst/);
      expect(() => binding.copyLent(token, -8, dst, 0, 8)).toThrow(RangeError);
      expect(() => binding.copyLent(token, 0, dst, 0, 2 ** 60)).toThrow(RangeError);
      expect(() => binding.copyLent(token, 0, {} as Uint8Array, 0, 8)).toThrow(TypeError);
      expect(() => binding.lendRows(new Float32Array(4) as unknown as Float64Array)).toThrow(TypeError);
      expect(() => binding.copyLent(0, 0, dst, 0, 8)).toThrow(RangeError);
      expect(() => binding.copyLent(2 ** 31, 0, dst, 0, 8)).toThrow(RangeError);
    } finally {
      binding.endLoan(token);
    }
    dst.fill(7, 0, 8);
    expect(binding.copyLent(token, 0, dst, 0, 8)).toBe(false);
    expect(Array.from(dst.subarray(0, 8))).toEqual(new Array(8).fill(7));
  });

  it("a thread's copier follows the memory when it grows", () => {
    const grown = new (requireWebAssembly().Memory)({ initial: 1, maximum: 4, shared: true });
    const copy = lentCopier(binding, grown);
    const token = binding.lendRows(rows);
    try {
      grown.grow(1);
      copy(token, 8, 65536 + 64, 16); // past the first page: a view made before the growth is too short
      expect(Array.from(new Float64Array(grown.buffer, 65536 + 64, 2))).toEqual([rows[1], rows[2]]);
      expect(() => copy(token, 0, 2 * 65536 - 8, 16)).toThrow(/does not fit in dst/);
    } finally {
      binding.endLoan(token);
    }
    expect(() => copy(token, 0, 0, 8)).toThrow(/taken back/);
  });

  it("ends the loans of a worker thread that exits without ending them", async () => {
    const before = binding.openLoans();
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const b = require(workerData.addon);
       b.lendRows(new Float64Array(100));
       b.lendRows(new Float64Array(10));
       parentPort.postMessage(b.openLoans());`,
      { eval: true, workerData: { addon: loadedAddon()?.path } },
    );
    const open = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    expect(open).toBe(before + 2);
    await new Promise((resolve) => worker.once("exit", resolve));
    expect(binding.openLoans()).toBe(before);
  });
});

describe("a loan of an output array (the addon)", () => {
  const memory = new (requireWebAssembly().Memory)({ initial: 1, maximum: 4, shared: true });
  const src = new Float64Array(memory.buffer, 0, 64);
  src.set(Array.from({ length: 64 }, (_, i) => i * 0.25 - 3));

  it("writes blocks from shared memory into the lent array, at the lent view's start", () => {
    const backing = new Float64Array(40).fill(-1);
    const out = backing.subarray(4, 36);
    const before = binding.openLoans();
    const token = binding.lendOutput(out);
    expect(binding.openLoans()).toBe(before + 1);
    try {
      expect(binding.copyToLent(token, src, 8 * 10, 8 * 3, 8 * 5)).toBe(true);
    } finally {
      binding.endLoan(token);
    }
    expect(Array.from(out.subarray(3, 8))).toEqual(Array.from(src.subarray(10, 15)));
    expect(backing[4 + 2]).toBe(-1);
    expect(backing[4 + 8]).toBe(-1);
    expect(binding.openLoans()).toBe(before);
  });

  it("refuses copies outside the source or the loan, and into a loan of rows; writes nothing once ended", () => {
    const out = new Float64Array(16).fill(5);
    const token = binding.lendOutput(out);
    const rowsToken = binding.lendRows(new Float64Array(16));
    try {
      expect(() => binding.copyToLent(token, src, 0, 8 * 12, 8 * 8)).toThrow(/outside the lent output/);
      expect(() => binding.copyToLent(token, src, src.byteLength - 8, 0, 16)).toThrow(/outside src/);
      expect(() => binding.copyToLent(token, src, 0, -8, 8)).toThrow(RangeError);
      expect(() => binding.copyToLent(token, {} as Float64Array, 0, 0, 8)).toThrow(TypeError);
      expect(() => binding.copyToLent(rowsToken, src, 0, 0, 8)).toThrow(/not an output loan/);
      expect(() => binding.lendOutput([1, 2] as unknown as Float64Array)).toThrow(TypeError);
    } finally {
      binding.endLoan(token);
      binding.endLoan(rowsToken);
    }
    expect(binding.copyToLent(token, src, 0, 0, 8)).toBe(false);
    expect(Array.from(out)).toEqual(new Array(16).fill(5));
  });
});

// Worker threads run dist/compiled/thread-worker.js (built by pretest): the threaded engine comes from dist/.
const built = await import(join(import.meta.dirname, "../dist/engines/native.js"));

describe("threaded batches of the native engine lend their rows", () => {
  const c = loadZoo("regression");
  const one: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 1 });
  const two: NativeEngine = built.NativeEngine.fromString(c.modelText, { numThreads: 2 });
  afterAll(() => {
    one.dispose();
    two.dispose();
  });
  type Pooled = {
    compiledPath: { pool: { host: { lender?: object }; lastJob: { blocks: number; byCaller: number } } };
  };

  it("gives one thread's bits on a batch of several (copied) rounds, and on lent batches with the workers copying rows", async () => {
    // the job region holds 32 MB of rows and outputs: 700,000 rows of this model take two rounds and more
    const n = Math.ceil((48 << 20) / ((c.ncol + 1) * 8));
    const X = new Float64Array(n * c.ncol);
    for (let i = 0; i < X.length; i++) X[i] = c.X[i % c.X.length] * (1 + ((i % 7) - 3) * 1e-3);
    const want = one.predict(X, n);
    const before = binding.openLoans();
    expect(firstNotIdentical(two.predict(X, n), want)).toBe(-1);
    const pool = (two as unknown as Pooled).compiledPath.pool;
    expect(pool.host.lender).toBeDefined();
    expect(binding.openLoans()).toBe(before);
    // once a worker is up, it takes blocks (and copies their rows itself)
    let workerRan = false;
    for (let i = 0; i < 200 && !workerRan; i++) {
      const at = ((i * 7919) % (n - 2000)) * c.ncol;
      const batch = X.subarray(at, at + 2000 * c.ncol);
      expect(firstNotIdentical(two.predict(batch, 2000), one.predict(batch, 2000)), `batch ${i}`).toBe(-1);
      workerRan = pool.lastJob.byCaller < pool.lastJob.blocks;
      if (!workerRan) await new Promise((r) => setTimeout(r, 10));
    }
    expect(workerRan).toBe(true);
    expect(binding.openLoans()).toBe(before);
  });

  it("lends each batch's output array (not zero-filled from 32 KB on): every value written by a thread", () => {
    const pool = (
      two as unknown as {
        compiledPath: {
          pool: {
            host: { lender: { lendOutput(out: Float64Array): number; allocate(n: number): Float64Array } };
          };
        };
      }
    ).compiledPath.pool;
    const lender = pool.host.lender;
    const { lendOutput, allocate } = lender;
    const lent: Float64Array[] = [];
    lender.lendOutput = (out) => {
      lent.push(out);
      return lendOutput.call(lender, out);
    };
    // arrays full of NaN, as garbage would be: a value no thread wrote would show
    lender.allocate = (n) => allocate.call(lender, n).fill(Number.NaN);
    try {
      for (const rows of [1000, 6000, 20000]) {
        const X = new Float64Array(rows * c.ncol);
        for (let i = 0; i < X.length; i++) X[i] = c.X[i % c.X.length] * (1 + ((i % 11) - 5) * 1e-3);
        const got = two.predict(X, rows);
        expect(lent.at(-1)).toBe(got);
        expect(firstNotIdentical(got, one.predict(X, rows)), `${rows} rows`).toBe(-1);
      }
    } finally {
      lender.lendOutput = lendOutput;
      lender.allocate = allocate;
    }
    expect(lent.length).toBe(3);
  });
});

describe("a wide model's batch: several rounds, each lent", () => {
  // 1,200 features: the 32 MB job region holds about 3,500 rows, so 10,000 rows take three rounds
  const NF = 1200;
  const base = oneTreeModel({
    split: [0, 1, 0],
    threshold: [0.5, -0.25, 2],
    decision: [2, 2, 2],
    left: [1, -1, -3],
    right: [2, -2, -4],
  });
  const text = base
    .replace("max_feature_idx=1", `max_feature_idx=${NF - 1}`)
    .replace("feature_names=a b", `feature_names=${Array.from({ length: NF }, (_, i) => `f${i}`).join(" ")}`)
    .replace("feature_infos=none none", `feature_infos=${new Array(NF).fill("none").join(" ")}`)
    .replace("split_feature=0 1 0", `split_feature=0 ${NF - 1} ${NF >> 1}`);
  const one: NativeEngine = built.NativeEngine.fromString(text, { numThreads: 1 });
  const two: NativeEngine = built.NativeEngine.fromString(text, { numThreads: 2 });
  afterAll(() => {
    one.dispose();
    two.dispose();
  });

  it("gives one thread's bits, every round lent and ended", () => {
    const n = 10_000;
    const X = new Float64Array(n * NF);
    for (let i = 0; i < X.length; i++) X[i] = (((Math.imul(i + 1, 2654435761) >>> 0) % 1000) - 500) / 100;
    const want = one.predict(X, n);
    expect(new Set(want).size).toBe(4); // every leaf, in no period a round's length could hide
    expect(firstNotIdentical(two.predict(X, n), want)).toBe(-1);
    const pool = (
      two as unknown as {
        compiledPath: { pool: { host: { lender: { lend(rows: Float64Array): number } } } };
      }
    ).compiledPath.pool;
    // count the rounds lent (the lender itself still lends)
    const lender = pool.host.lender;
    const lend = lender.lend;
    const lent: number[] = [];
    lender.lend = (rows) => {
      lent.push(rows.length / NF);
      return lend.call(lender, rows);
    };
    const before = binding.openLoans();
    try {
      expect(firstNotIdentical(two.predict(X, n), want)).toBe(-1);
    } finally {
      lender.lend = lend;
    }
    expect(lent.length).toBeGreaterThanOrEqual(3);
    expect(lent.reduce((a, b) => a + b, 0)).toBe(n);
    for (const rows of lent) expect(rows).toBeLessThan(LEND_MAX_ROWS);
    expect(binding.openLoans()).toBe(before);
  });
});
