// The micro-batcher on the real shipped model: concurrent requests become one engine call, every request
// gets exactly its own rows back, and a bad record or a failing engine call fails only what it should.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../src/errors.js";
import { Model } from "../src/model.js";
import { ASYNC_MIN_MICROS, MicroBatcher, rowMicros } from "../src/server/microbatch.js";
import { CLASSIC, HR } from "./fixtures/server/helpers.js";

let served: Model;
beforeAll(async () => {
  served = await Model.load(HR, { engine: "native" });
});
afterAll(() => served.dispose());

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...CLASSIC, satisfaction_level: (i % 90) / 100 + 0.1 }));

function batcher(overrides: Partial<ConstructorParameters<typeof MicroBatcher>[1]> = {}) {
  const sizes: number[] = [];
  const b = new MicroBatcher(served, {
    enabled: true,
    maxBatchSize: 256,
    maxWaitMs: 0,
    numThreads: 1,
    onBatch: (rows) => sizes.push(rows),
    ...overrides,
  });
  return { b, sizes };
}

describe("MicroBatcher", () => {
  // each size on both sides of the in-place / thread-pool cutoff (asyncMinRows 64 here)
  it.each([2, 10, 63, 64, 200])(
    "%i concurrent one-record requests: one engine call, each its own answer",
    async (n) => {
      const { b, sizes } = batcher({ asyncMinRows: 64 });
      const recs = records(n);
      const want = served.predictEncoded(served.encode(recs).data, n);
      const got = await Promise.all(recs.map((r) => b.predict([r])));
      expect(sizes).toEqual([n]);
      expect(got).toEqual(want.map((w) => [w]));
    },
  );

  it("requests of several records keep their rows in order; a batch is cut at maxBatchSize", async () => {
    const { b, sizes } = batcher({ maxBatchSize: 8 });
    const recs = records(20);
    const want = served.predictEncoded(served.encode(recs).data, 20);
    const parts = [recs.slice(0, 3), recs.slice(3, 8), recs.slice(8, 9), recs.slice(9, 20)];
    const got = await Promise.all(parts.map((p) => b.predict(p)));
    expect(got.flat()).toEqual(want);
    expect(sizes.reduce((a, x) => a + x, 0)).toBe(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(11); // the 11-record request goes alone
  });

  it("a bad record fails only its own request", async () => {
    const { b } = batcher();
    const recs = records(5);
    const outcomes = await Promise.allSettled([
      b.predict([recs[0]]),
      b.predict([{ ...recs[1], salary: "huge" }]),
      b.predict([recs[2]]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
  });

  it("an engine failure rejects every request of that batch, in place and on the thread pool", async () => {
    for (const n of [5, 100]) {
      const model = await Model.load(HR, { engine: "native" });
      const b = new MicroBatcher(model, { enabled: true, maxBatchSize: 256, maxWaitMs: 0, numThreads: 1 });
      const recs = records(n);
      const pending = recs.map((r) => b.predict([r])); // encoded now, predicted on the next turn
      model.dispose();
      const outcomes = await Promise.allSettled(pending);
      expect(
        outcomes.every((o) => o.status === "rejected"),
        `n=${n}`,
      ).toBe(true);
    }
  });

  it("a turn that brings only a few requests waits one more turn; a lone request does not wait", async () => {
    const { b, sizes } = batcher();
    const recs = records(5);
    // two requests in this turn (the batcher's end-of-turn callback is queued first), three in the next
    const first = recs.slice(0, 2).map((r) => b.predict([r]));
    const later = new Promise<Promise<unknown>[]>((resolve) =>
      setImmediate(() => resolve(recs.slice(2).map((r) => b.predict([r])))),
    );
    await Promise.all([...first, ...(await later)]);
    expect(sizes).toEqual([5]);

    const lone = batcher();
    const one = lone.b.predict([recs[0]]);
    const next = new Promise<unknown>((resolve) => setImmediate(() => resolve(lone.b.predict([recs[1]]))));
    await Promise.all([one, await next]);
    expect(lone.sizes).toEqual([1, 1]);
  });

  /** A batcher whose last turn brought several requests: it batches every predictOne. */
  async function busy(overrides: Partial<ConstructorParameters<typeof MicroBatcher>[1]> = {}) {
    const made = batcher(overrides);
    await Promise.all(records(2).map((r) => made.b.predictOne(r)));
    made.sizes.length = 0;
    return made;
  }

  // predictOne encodes straight into the batcher's shared buffer (grown past its first 64 rows here)
  it.each([1, 2, 63, 64, 200])(
    "%i concurrent predictOne requests on a busy batcher: one engine call, each its own result",
    async (n) => {
      const { b, sizes } = await busy();
      const recs = records(n);
      const want = served.predictEncoded(served.encode(recs).data, n);
      const pending = recs.map((r) => b.predictOne(r));
      expect(pending.every((p) => p instanceof Promise)).toBe(true);
      expect(await Promise.all(pending)).toEqual(want);
      expect(sizes).toEqual([n]);
    },
  );

  it("a quiet batcher answers the first record of a turn at once and batches the rest of that turn", async () => {
    const { b, sizes } = batcher();
    const recs = records(6);
    const want = served.predictEncoded(served.encode(recs).data, 6);
    const first = b.predictOne(recs[0]);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toEqual(want[0]);
    expect(sizes).toEqual([1]);
    const rest = recs.slice(1, 4).map((r) => b.predictOne(r));
    expect(rest.every((p) => p instanceof Promise)).toBe(true);
    expect(await Promise.all(rest)).toEqual(want.slice(1, 4));
    expect(sizes).toEqual([1, 3]);
    // that turn brought 4 requests: the next lone one is batched (a batch of one), and the turn after it
    // is quiet again
    const lone = b.predictOne(recs[4]);
    expect(lone).toBeInstanceOf(Promise);
    expect(await lone).toEqual(want[4]);
    await new Promise((r) => setImmediate(r));
    expect(b.predictOne(recs[5])).toEqual(want[5]);
    expect(sizes).toEqual([1, 3, 1, 1]);
  });

  it("a bad record answered at once throws the SDK's ValidationError, and the batcher stays usable", async () => {
    const { b } = batcher();
    expect(() => b.predictOne({ ...CLASSIC, salary: "huge" })).toThrow(ValidationError);
    await new Promise((r) => setImmediate(r));
    const [rec] = records(1);
    expect(b.predictOne(rec)).toEqual(served.predict(rec));
  });

  it("does not answer at once while a batch is queued or on the thread pool", async () => {
    const { b, sizes } = batcher({ asyncMinRows: 2 });
    const recs = records(3);
    const onPool = b.predict(recs.slice(0, 2)); // 2 rows: the thread pool, at this turn's end
    // queued after the batcher's end-of-turn callbacks: runs right after the batch left for the pool,
    // before the pool's answer can come back (that needs the next poll phase)
    await new Promise((r) => setImmediate(r));
    const during = b.predictOne(recs[2]);
    expect(during).toBeInstanceOf(Promise);
    await Promise.all([onPool, during]);
    expect(sizes).toEqual([2, 1]);
  });

  it("predictOne and predict mixed, with bad records between them: every good request its own rows", async () => {
    const { b, sizes } = await busy();
    const recs = records(12);
    const want = served.predictEncoded(served.encode(recs).data, 12);
    const outcomes = await Promise.allSettled([
      b.predictOne(recs[0]),
      b.predictOne({ ...recs[1], salary: "huge" }), // fails after writing part of its row
      b.predict(recs.slice(1, 4)),
      b.predictOne({ ...recs[4], number_project: "many" }),
      b.predictOne(recs[4]),
      b.predict({
        ...Object.fromEntries(
          Object.keys(CLASSIC).map((k) => [k, recs.slice(5, 8).map((r) => r[k as keyof typeof r])]),
        ),
      }),
      b.predict([recs[8], { ...recs[9], sales: 3 }]),
      b.predictOne(recs[9]),
      b.predict(recs.slice(10, 12)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    const value = (i: number) => (outcomes[i] as PromiseFulfilledResult<unknown>).value;
    expect(value(0)).toEqual(want[0]);
    expect(value(2)).toEqual(want.slice(1, 4));
    expect(value(4)).toEqual(want[4]);
    expect(value(5)).toEqual(want.slice(5, 8));
    expect(value(7)).toEqual(want[9]);
    expect(value(8)).toEqual(want.slice(10, 12));
    for (const i of [1, 3, 6]) {
      expect((outcomes[i] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    }
    expect(sizes).toEqual([11]);
  });

  it("requests queued while a batch runs on the thread pool are cut at maxBatchSize and keep their rows", async () => {
    // asyncMinRows 4: batches of 4+ rows go to the thread pool, so the queue keeps growing meanwhile
    const { b, sizes } = await busy({ maxBatchSize: 8, asyncMinRows: 4 });
    const recs = records(50);
    const want = served.predictEncoded(served.encode(recs).data, 50);
    const got = await Promise.all(
      recs.map((r, i) => (i % 7 === 3 ? b.predict([r]).then((x) => x[0]) : b.predictOne(r))),
    );
    expect(got).toEqual(want);
    expect(sizes.reduce((a, x) => a + x, 0)).toBe(50);
    expect(Math.max(...sizes)).toBe(8);
  });

  it("by default sends to the thread pool the batches that take about ASYNC_MIN_MICROS to predict", () => {
    const us = rowMicros(served);
    expect(us).toBeGreaterThan(0);
    expect(rowMicros(served)).toBe(us); // measured once
    const { b } = batcher();
    expect(b.asyncMinRows).toBe(Math.max(1, Math.ceil(ASYNC_MIN_MICROS / us)));
    // the packed-tree kernel predicts a row of this model in about 0.2-3 µs here: hundreds to thousands
    expect(b.asyncMinRows).toBeGreaterThan(20);
    expect(b.asyncMinRows).toBeLessThan(50_000);
    expect(batcher({ asyncMinRows: 7 }).b.asyncMinRows).toBe(7);
  });

  it("without batching every request is its own engine call", async () => {
    const { b, sizes } = batcher({ enabled: false });
    await Promise.all(records(4).map((r) => b.predict([r])));
    expect(sizes).toEqual([1, 1, 1, 1]);
  });
});
