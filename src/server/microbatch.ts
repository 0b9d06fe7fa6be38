/**
 * Micro-batching: records from concurrent requests are encoded per request (so a bad record fails only
 * its own request) into one shared buffer, predicted in one engine call, then split back in order.
 *
 * A batch is flushed as soon as the event loop has taken in what arrived in the same I/O turn
 * (setImmediate; one turn later when that turn brought only a few requests), or after `maxWaitMs`
 * when that is set, or at once when `maxBatchSize` rows are queued. While one batch runs on the thread pool (engine.predictAsync), the next one fills up, so
 * batches grow with load by themselves. Small batches (under `asyncMinRows` rows) are predicted
 * synchronously: a thread-pool hop costs more than their prediction.
 *
 * A lone request waits for nothing: while the server is quiet (the last turn that brought requests
 * brought only one), the first record of a turn is predicted at once, in the request's own call, with
 * no promise and no batch. Every turn that brings requests is watched (one setImmediate a turn): records
 * that arrive after the first are batched as usual, and a turn that brings more than one request ends
 * the quiet, until a turn brings a lone request again. Measured head to head at 1 connection: about
 * 2.5 µs of CPU less a request.
 */
import type { ColumnarInput } from "../bundle/encoder.js";
import type { PredictionResult } from "../bundle/output.js";
import type { InputRecord } from "../bundle/schema.js";
import type { Model } from "../model.js";
import { exampleRecord } from "./example-record.js";

type Result = PredictionResult;

/** Batches smaller than this, under concurrent load, wait one more I/O turn (see onTurnEnd). */
const DEFER_BELOW_ROWS = 12;

/**
 * Without an explicit asyncMinRows, a batch goes to the thread pool when it takes about this long to
 * predict. A thread-pool round trip is not free: measured here (2-core VM), a 64-row batch of the shipped
 * model took 63 µs in place and 123 µs of CPU through the pool (about 20 of them on the event loop, the
 * rest waking threads), and the pool's thread competes for the cores with everything else. Head to head at
 * 256 connections, a cut-off of 64 rows cost 14% of req/s against ~200 rows, and ~200 rows cost 10-20%
 * against none (every micro-batch of the shipped model in place: at most 256 rows, ~0.35 ms). So the
 * event loop is blocked for up to about a millisecond; longer predictions (large models, large
 * /predict/batch requests) run on the pool.
 */
export const ASYNC_MIN_MICROS = 1000;

export interface MicroBatchOptions {
  /** Batch concurrent requests (otherwise each request makes its own engine call). */
  enabled: boolean;
  maxBatchSize: number;
  maxWaitMs: number;
  /** Threads for one native batch call. */
  numThreads: number;
  /**
   * Engine calls with fewer rows run synchronously on the event loop: for small batches a thread-pool
   * hop costs more than the prediction. Larger ones use engine.predictAsync. Default: the rows that take
   * ASYNC_MIN_MICROS to predict, measured on this model when the batcher is made.
   */
  asyncMinRows?: number;
  /** Batches running on the thread pool at once. */
  maxInFlight?: number;
  /** Called with the rows of every engine call. */
  onBatch?: (rows: number) => void;
}

interface Pending {
  nrow: number;
  /** A predictOne request: resolves with its one result rather than an array. */
  one: boolean;
  resolve: (r: Result[] & Result) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  /**
   * The queued rows, encoded back to back: single records are encoded straight into it, so a request
   * allocates no matrix of its own and a batch needs no concatenation. Sync batches are predicted from
   * a view of it; async ones from a copy (the buffer keeps filling while they run).
   */
  private rows: Float64Array;
  private readonly ncol: number;
  /** The row and output of a record predicted at once (predictNow). */
  private readonly one: Float64Array;
  private readonly oneOut: Float64Array;
  private inFlight = 0;
  private scheduled = false;
  private deferred = false;
  /** The last turn that brought requests brought only one: predictOne may answer the next at once. */
  private quiet = true;
  /** Requests (predictOne and predict calls) that arrived in this turn so far. */
  private arrivals = 0;
  private watching = false;
  private readonly endTurn = () => {
    this.watching = false;
    this.quiet = this.arrivals <= 1;
    this.arrivals = 0;
  };
  private timer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;
  /** Engine calls of at least this many rows run on the thread pool (see MicroBatchOptions). */
  readonly asyncMinRows: number;

  constructor(
    private readonly model: Model,
    private readonly options: MicroBatchOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? 1;
    this.asyncMinRows = options.asyncMinRows ?? Math.max(1, Math.ceil(ASYNC_MIN_MICROS / rowMicros(model)));
    this.ncol = model.info.numFeatures;
    this.rows = new Float64Array(this.ncol * 64);
    this.one = new Float64Array(this.ncol);
    this.oneOut = new Float64Array(model.outputWidth());
  }

  /**
   * One request's records (array or columnar) to one result per row, in order. Rejects with the SDK's
   * ValidationError when the input is bad; nothing else of that request runs. (Not an async function:
   * that would add a promise per request on the server's hottest path.)
   */
  predict(input: InputRecord[] | ColumnarInput): Promise<Result[]> {
    let encoded: { data: Float64Array; nrow: number };
    try {
      encoded = this.model.encode(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.predictEncoded(encoded.data, encoded.nrow);
  }

  /**
   * One record (the /predict route): its result, or a promise of it when the record joins a batch.
   * Throws (or rejects with) the SDK's ValidationError when the record is bad.
   */
  predictOne(record: InputRecord): Result | Promise<Result> {
    const { enabled, maxBatchSize } = this.options;
    if (!enabled || maxBatchSize <= 1) {
      return this.asyncMinRows > 1 ? this.predictNow(record) : this.predict([record]).then((r) => r[0]);
    }
    const direct =
      this.quiet &&
      this.arrivals === 0 &&
      this.queue.length === 0 &&
      this.inFlight === 0 &&
      this.asyncMinRows > 1;
    this.arrive();
    if (direct) return this.predictNow(record);
    this.reserve(this.queuedRows + 1);
    try {
      // A bad record throws before it is queued; the values it left are overwritten by the next one.
      this.model.encodeInto(record, this.rows, this.queuedRows * this.ncol);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(1, true) as Promise<Result>;
  }

  /** Counts a request of this turn; the first one of a turn starts watching for the turn's end. */
  private arrive(): void {
    this.arrivals++;
    if (!this.watching) {
      this.watching = true;
      setImmediate(this.endTurn);
    }
  }

  /** One record predicted now, through buffers of its own (the batch buffer may hold queued rows). */
  private predictNow(record: InputRecord): Result {
    this.model.encodeInto(record, this.one, 0);
    this.options.onBatch?.(1);
    return this.model.predictEncodedRow(this.one, this.oneOut);
  }

  predictEncoded(data: Float64Array, nrow: number): Promise<Result[]> {
    const { enabled, maxBatchSize } = this.options;
    if (nrow === 0) return Promise.resolve([]);
    if (!enabled || nrow >= maxBatchSize) return this.run(data, nrow);
    this.arrive();
    this.reserve(this.queuedRows + nrow);
    this.rows.set(data, this.queuedRows * this.ncol);
    return this.enqueue(nrow, false) as Promise<Result[]>;
  }

  /** Resolves when nothing is queued or running. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 2));
  }

  private enqueue(nrow: number, one: boolean): Promise<Result | Result[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ nrow, one, resolve: resolve as Pending["resolve"], reject });
      this.queuedRows += nrow;
      this.schedule();
    });
  }

  /** Room for `rows` rows in the batch buffer (grown by doubling, queued rows kept). */
  private reserve(rows: number): void {
    if (rows * this.ncol <= this.rows.length) return;
    const grown = new Float64Array(Math.max(rows * this.ncol, this.rows.length * 2));
    grown.set(this.rows.subarray(0, this.queuedRows * this.ncol));
    this.rows = grown;
  }

  private schedule(): void {
    if (this.queuedRows >= this.options.maxBatchSize && this.inFlight < this.maxInFlight) {
      this.flush();
      return;
    }
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    if (this.options.maxWaitMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    } else {
      this.deferred = false;
      setImmediate(() => this.onTurnEnd());
    }
  }

  /**
   * End of the I/O turn that queued the first request. When that turn brought a few requests but a small
   * batch (2 to DEFER_BELOW_ROWS - 1 rows), wait one more turn: the next poll phase brings more, and every
   * engine call pays a cold-cache start once, whatever its size.
   * Measured head to head: +3% req/s at 16 connections, +2% at 64, no change at 1 and 256. Waiting more
   * turns, or for larger batches, cost more than it saved at 64 connections. A lone request goes at once.
   */
  private onTurnEnd(): void {
    if (!this.deferred && this.queue.length > 1 && this.queuedRows < DEFER_BELOW_ROWS) {
      this.deferred = true;
      setImmediate(() => this.onTurnEnd());
      return;
    }
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    // Take whole requests up to maxBatchSize rows (at least one request); usually all of them.
    let batch: Pending[];
    let rows: number;
    if (this.queuedRows <= this.options.maxBatchSize) {
      batch = this.queue;
      rows = this.queuedRows;
      this.queue = [];
    } else {
      let count = 0;
      rows = 0;
      for (const p of this.queue) {
        if (count > 0 && rows + p.nrow > this.options.maxBatchSize) break;
        rows += p.nrow;
        count++;
      }
      batch = this.queue.splice(0, count);
    }
    const values = rows * this.ncol;
    // Nothing here may throw: this runs from a timer, where an exception would leave requests hanging.
    if (rows < this.asyncMinRows) {
      // Small batches are predicted in place, from a view of the buffer, and settle their requests
      // directly, without a promise chain.
      let results: Result[] | undefined;
      let error: unknown;
      try {
        results = this.runSync(this.rows.subarray(0, values), rows);
      } catch (err) {
        error = err;
      }
      this.dequeue(rows);
      if (results === undefined) for (const p of batch) p.reject(error);
      else settle(batch, results);
      if (this.queue.length > 0) this.schedule();
      return;
    }
    const data = this.rows.slice(0, values);
    this.dequeue(rows);
    this.inFlight++;
    this.run(data, rows)
      .finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      })
      .then(
        (results) => settle(batch, results),
        (err) => {
          for (const p of batch) p.reject(err);
        },
      );
  }

  /** Drops the first `rows` rows of the buffer (those of a flushed batch); the rest move to the front. */
  private dequeue(rows: number): void {
    if (this.queuedRows > rows) this.rows.copyWithin(0, rows * this.ncol, this.queuedRows * this.ncol);
    this.queuedRows -= rows;
  }

  private runSync(data: Float64Array, nrow: number): Result[] {
    this.options.onBatch?.(nrow);
    if (nrow === 1) return [this.model.predictEncodedRow(data)];
    return this.model.predictEncoded(data, nrow, { numThreads: 1 });
  }

  private async run(data: Float64Array, nrow: number): Promise<Result[]> {
    if (nrow < this.asyncMinRows) return this.runSync(data, nrow);
    this.options.onBatch?.(nrow);
    return this.model.predictEncodedAsync(data, nrow, { numThreads: this.options.numThreads });
  }
}

/** Each request of a batch gets its own rows of the results, in order (a predictOne request, its row). */
function settle(batch: Pending[], results: Result[]): void {
  if (batch.length === 1 && !batch[0].one) {
    batch[0].resolve(results as Result[] & Result);
    return;
  }
  let off = 0;
  for (const p of batch) {
    p.resolve((p.one ? results[off] : results.slice(off, off + p.nrow)) as Result[] & Result);
    off += p.nrow;
  }
}

const measured = new WeakMap<Model, number>();

/**
 * Microseconds to predict one row in a batch on this machine, measured once per model (the example
 * record, 64 rows, the best of 30 one-thread calls after a warm-up: the best is what noise does not
 * inflate).
 */
export function rowMicros(model: Model): number {
  let us = measured.get(model);
  if (us === undefined) {
    const rows = 64;
    let data: Float64Array;
    try {
      data = model.encode(Array.from({ length: rows }, () => exampleRecord(model))).data;
    } catch {
      data = new Float64Array(rows * model.info.numFeatures); // an example the spec refuses: zeros will do
    }
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 31; i++) {
      const t0 = performance.now();
      model.predict(data, { numThreads: 1 });
      if (i > 0) best = Math.min(best, performance.now() - t0);
    }
    us = Math.max(1e-3, (best * 1000) / rows);
    measured.set(model, us);
  }
  return us;
}
