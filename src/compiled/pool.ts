/**
 * Threads for a compiled forest: worker threads that share its (shared) WebAssembly.Memory and take
 * blocks of a batch's rows from a counter in that memory. An idle worker sleeps in Atomics.wait until a
 * job is published, a waiting caller sleeps until the last block is done, so a busy machine slows a batch
 * down by the CPU it does not get, never by threads fighting for it (LightGBM's OpenMP threads spin, which
 * made a 1,000-row predict 7x slower than one thread on a busy 2-core host). The one exception is a loop
 * of batches that follow each other closely: there a worker polls for at most SPIN_MS (see there) before
 * it sleeps, and the caller for at most CALLER_SPIN_MS.
 * Blocks are handed out one at a time, so a worker that starts late, or runs on a busy core, simply takes
 * fewer of them; every row's trees are still added in model order by one thread, so the bits are those of
 * one thread.
 *
 * A job: the caller copies the rows in (publishing blocks as they arrive, so workers start early), or,
 * where the host can lend a synchronous batch's rows to the workers (RowLender: the addon), every thread
 * copies the rows of the blocks it takes itself; every participating thread grabs blocks (compare-and-swap
 * on a 64-bit ticket: job generation and the blocks left, so a late worker can never take a block of a
 * newer job; the caller from the front, workers from the back), the last one to finish wakes the caller.
 * Where the host's workers can (ThreadHost.finishes: the addon), each thread also converts the raw scores
 * of its blocks to the model's outputs.
 *
 * The protocol is here (no `node:` imports, shared with the browser); how workers are started is the
 * host's business (pool-node.ts).
 */

import type { CompiledForest } from "./forest.js";
import type { WasmMemory } from "./wasm-api.js";

// Control block: Int32 slots from forest.controlAt, one 64-byte line per word that threads write while
// others poll it (the caller's stores of a job's parameters into the line a polling worker reads cost a
// round trip between cores each). Line 0: the job's parameters and rare flags; line 1: the ticket (a
// BigUint64, CAS by every thread per block); line 2: GEN (workers poll it); line 3: DONE (the caller
// polls it); line 4: AVAILABLE (workers poll it while the caller copies rows in).
const LINE = 16;
const NBLOCKS = 0;
const X = 1;
const OUT = 2;
const NROWS = 3;
const BLOCK = 4;
const STOP = 5;
const ERROR = 6;
const READY = 7;
/** Workers 1 .. LIMIT take part in the current job (the caller, thread 0, when it runs the job too). */
const LIMIT = 8;
/** When the current job was opened: µs of a clock all threads share (sharedClockUs), modulo 2^31. */
const OPENED = 9;
/** The loan of the job's rows (RowLender) when every thread copies its own blocks; 0: the caller copied them. */
const LOAN = 10;
/** 1: every thread converts the raw scores of the blocks it ran to the model's outputs (Finish). */
const FINISH = 11;
/** The loan of the batch's output array (RowLender.lendOutput) every thread writes its blocks into, or 0. */
const OUT_LOAN = 12;
/** The round's first row in the batch (where its blocks go in the lent output array). */
const OUT_ROW = 13;
const TICKET_BYTE = 4 * LINE;
const GEN = 2 * LINE;
const DONE = 3 * LINE;
const AVAILABLE = 4 * LINE;
/** Bytes of the control block (forest.ts reserves them at controlAt). */
export const CONTROL_BYTES = 5 * 4 * LINE;

/**
 * µs since the epoch modulo 2^31, on a clock every thread reads alike (timeOrigin is per thread). Where a
 * runtime coarsens it, polls look late and stop (Backoff): the threads then sleep as before.
 */
const sharedClockUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000) % 2 ** 31;

/**
 * How long (ms, monotonic clock) a worker polls before it sleeps, in a loop of batches only: after a job
 * that came within 2 * SPIN_MS of the one before, for the next job, and once it caught a job so, for its
 * first rows (the caller is copying them in). Waking a sleeping worker costs here 15-30 µs for the worker
 * and ~12 µs in Atomics.notify for the caller, on the critical path of a 1,000-row batch of the shipped
 * model (0.2-0.4 ms). Batches that come one at a time never poll. Measurements, with and without a CPU
 * burner: docs/compiled-engine.md, "Threads".
 */
const SPIN_MS = 0.05;

/**
 * How long (ms) a caller in a loop of batches (a job within 2 * SPIN_MS of its previous one) polls for the
 * workers' last block before it sleeps. A worker woken after an idle spell can land on the caller's own
 * vCPU (measured on a 2-vCPU VM); a caller that sleeps at once then lets the worker run there, the two take
 * turns on one vCPU and the scheduler takes 50-60 ms to move them apart (2 threads at 0.86-0.88x one
 * thread meanwhile). A caller that holds its vCPU a little longer gets them apart at once: 1.56-1.77x over
 * the first 50 ms (`node bench/threads-idle.mjs`), and no worse with a CPU burner on the other core.
 */
const CALLER_SPIN_MS = 0.2;

/**
 * Polls i32[index] while it equals `value`, until `until` (performance.now(), ms): true once it changed,
 * false at the deadline (the thread then sleeps in Atomics.wait).
 */
function spinUntil(i32: Int32Array, index: number, value: number, until: number): boolean {
  for (;;) {
    for (let i = 0; i < 64; i++) if (Atomics.load(i32, index) !== value) return true;
    if (performance.now() >= until) return false;
  }
}

/**
 * The model's output conversion (the objective's transform, after averaging for random forests), as plain
 * data a worker can build its own converter from: the native engine's OutputConverter arguments.
 */
export interface OutputConversion {
  transform: number;
  sigmoid: number;
  k: number;
  average: number;
}

/**
 * Converts `rows` rows of raw scores at byte `outByte` of the memory to the model's outputs, in place. Each
 * thread converts the blocks it ran, so the conversion (glibc's exp: 5 µs of a 1,000-row batch of the
 * shipped model, 60 µs of 10,000) is not left to the caller alone after the job.
 */
export type Finish = (outByte: number, rows: number) => void;

/**
 * What a worker needs to join: the module's bytes (each worker compiles its own copy: threads running one
 * shared compiled module measured 1.5x the one-thread speed on the shipped model, their own copies 1.95x),
 * the shared memory and its place in it.
 */
export interface WorkerInit {
  bytes: Uint8Array;
  memory: WasmMemory;
  controlAt: number;
  scratchAt: number;
  scratchBytes: number;
  numFeatures: number;
  numOutputs: number;
  /** This worker's thread index (1 ..): its scratch slot. */
  thread: number;
  /** Node: the addon file a worker loads to copy its own blocks of lent rows (a host with a RowLender). */
  addon?: string;
  /** Set when the workers convert their blocks' outputs (a host that `finishes`): what to convert to. */
  conversion?: OutputConversion;
}

/**
 * Copies `bytes` of the round's rows, from byte `srcByte` of the round, into the memory at `dstByte`, for
 * a thread that took a block of a job whose rows are lent (`token`). Throws when it cannot.
 */
export type CopyIn = (token: number, srcByte: number, dstByte: number, bytes: number) => void;

/**
 * Copies `bytes` of outputs from the memory at `srcByte` into the lent output array (`token`) at
 * `dstByte`, for a thread that ran a block of a job whose output array is lent. Throws when it cannot.
 */
export type CopyOut = (token: number, srcByte: number, dstByte: number, bytes: number) => void;

/** What a thread does around running a block, where its host lets it: each is optional. */
export interface ThreadHooks {
  /** Copies the block's lent rows in first. */
  copyIn?: CopyIn;
  /** Converts the block's raw scores to the model's outputs. */
  finish?: Finish;
  /** Copies the block's outputs into the lent output array. */
  copyOut?: CopyOut;
}

/**
 * Lends a synchronous batch's rows to the workers for the length of the call, so that each thread copies
 * the blocks it takes: the caller copying all of them wrote cache lines the worker's core held, which
 * cost the shipped model's 2-thread 1,000-row batch about 10% (docs/compiled-engine.md, "Threads").
 * `end` returns once no copy from the loan runs or will run.
 */
export interface RowLender {
  lend(rows: Float64Array): number;
  end(token: number): void;
  /** How the caller copies the blocks it takes (the addon's copy beats a typed-array copy into shared memory). */
  copier(memory: WasmMemory): CopyIn;
  /**
   * Lends a synchronous batch's output array the same way, writable: every thread copies its blocks'
   * outputs into it (CopyOut), so the caller does not copy them all after the job, and a fresh array's
   * page faults (11 µs a page on the VM measured) are taken by the thread that writes each page.
   */
  lendOutput(out: Float64Array): number;
  /** How the caller copies its blocks' outputs into a lent output array. */
  outCopier(memory: WasmMemory): CopyOut;
  /** A new output array of `length` values, maybe not zero-filled: a lent batch writes every one of them. */
  allocate(length: number): Float64Array;
}

/**
 * Starts workers; each runs `runWorker(init, ...)` in its own thread. `onExit` is called if the worker
 * fails to start or ends (the pool then leaves its blocks to the caller).
 */
export interface ThreadHost {
  start(init: WorkerInit, onExit: () => void): WorkerHandle;
  /** When set, the workers start() gives copy their own blocks of a lent batch in and out (runWorker's hooks). */
  lender?: RowLender;
  /** True when its workers build a Finish from WorkerInit.conversion (runWorker's hooks.finish). */
  finishes?: boolean;
}

export interface WorkerHandle {
  terminate(): void;
  /** Keep the process alive while an async job waits on this worker (Node: Worker.ref / unref). */
  ref?(): void;
  unref?(): void;
}

/**
 * Whether a worker may poll: after a poll that did not pay it sleeps at once for the next 1, 2, 4 ..
 * 1,024 chances; a poll that paid resets that.
 */
class Backoff {
  private skip = 0;
  private penalty = 1;

  allowed(): boolean {
    if (this.skip === 0) return true;
    this.skip--;
    return false;
  }

  record(paid: boolean): void {
    if (paid) {
      this.penalty = 1;
    } else {
      this.skip = this.penalty;
      this.penalty = Math.min(this.penalty * 2, 1024);
    }
  }
}

/** Views of the control block. */
class Control {
  readonly i32: Int32Array;
  readonly ticket: BigUint64Array;

  constructor(memory: WasmMemory, controlAt: number) {
    this.i32 = new Int32Array(memory.buffer, controlAt, CONTROL_BYTES / 4);
    this.ticket = new BigUint64Array(memory.buffer, controlAt + TICKET_BYTE, 1);
  }
}

type Run = (x: number, n: number, out: number, thread: number) => void;

/**
 * The ticket: the job's generation (bits 40-63), the next block from the front (20-39) and the end of the
 * blocks not yet taken from the back (0-19). The caller takes blocks from the front, workers from the
 * back: with two threads at the same pace each computes the same rows on every call (a repeated batch
 * keeps each thread's branch history), and whoever is faster takes more where they meet.
 */
const GEN_SHIFT = 40n;
const FRONT_SHIFT = 20n;
const FIELD = 0xfffffn;
const genOf = (gen: number) => BigInt(gen & 0xffffff);
export const MAX_BLOCKS = 0xfffff;

/**
 * Takes and runs blocks of job `gen` until none is left (or the job changed). Returns the blocks this
 * thread ran. Shared by the workers (thread >= 1, from the back) and a participating caller (thread 0,
 * from the front, once every row is copied in). A worker that caught the job by polling (`polled`) polls
 * for its first rows too, at most SPIN_MS in all: the caller is copying them in. When the job's rows are
 * lent, the thread copies each block it takes with `hooks.copyIn` first; when the job converts its
 * outputs (FINISH), the thread converts each block it ran with `hooks.finish`; when the output array is
 * lent, it copies the block's outputs there with `hooks.copyOut`.
 */
function work(
  ctl: Control,
  gen: number,
  nf: number,
  k: number,
  thread: number,
  run: Run,
  polled: boolean,
  hooks: ThreadHooks,
): number {
  const { i32, ticket } = ctl;
  const g = genOf(gen);
  let ran = 0;
  const until = polled ? performance.now() + SPIN_MS : 0;
  for (;;) {
    const t = Atomics.load(ticket, 0);
    if (t >> GEN_SHIFT !== g) return ran;
    const front = Number((t >> FRONT_SHIFT) & FIELD);
    const back = Number(t & FIELD);
    if (front >= back) return ran;
    const nblocks = Atomics.load(i32, NBLOCKS);
    let idx: number;
    let next: bigint;
    if (thread === 0) {
      idx = front;
      next = t + (1n << FRONT_SHIFT);
    } else {
      idx = back - 1;
      next = t - 1n;
      // rows are copied in from the back: wait until the caller has copied this block (or the job changes)
      const available = Atomics.load(i32, AVAILABLE);
      if (idx < nblocks - available) {
        if (!spinUntil(i32, AVAILABLE, available, until)) Atomics.wait(i32, AVAILABLE, available, 50);
        continue;
      }
    }
    // the job's parameters, read before the ticket is taken: if the job changed meanwhile, the CAS fails
    const block = i32[BLOCK];
    const nrow = i32[NROWS];
    const x = i32[X];
    const out = i32[OUT];
    const loan = i32[LOAN];
    const converts = i32[FINISH] !== 0;
    const outLoan = i32[OUT_LOAN];
    const outRow = i32[OUT_ROW];
    if (Atomics.compareExchange(ticket, 0, t, next) !== t) continue;
    const r0 = idx * block;
    const m = Math.min(block, nrow - r0);
    try {
      if (loan !== 0) {
        if (hooks.copyIn === undefined) throw new Error("this thread cannot copy lent rows");
        hooks.copyIn(loan, r0 * nf * 8, x + r0 * nf * 8, m * nf * 8);
      }
      run(x + r0 * nf * 8, m, out + r0 * k * 8, thread);
      if (converts) {
        if (hooks.finish === undefined) throw new Error("this thread cannot convert outputs");
        hooks.finish(out + r0 * k * 8, m);
      }
      if (outLoan !== 0) {
        if (hooks.copyOut === undefined) throw new Error("this thread cannot write a lent output");
        hooks.copyOut(outLoan, out + r0 * k * 8, (outRow + r0) * k * 8, m * k * 8);
      }
    } catch {
      Atomics.store(i32, ERROR, 1);
    }
    ran++;
    if (Atomics.add(i32, DONE, 1) + 1 === nblocks) Atomics.notify(i32, DONE);
  }
}

/**
 * A worker's life: instantiate, then sleep until a job is published, take blocks, sleep again. `hooks`:
 * how it copies its blocks of lent rows in and their outputs out (a host with a RowLender), and converts
 * its blocks' outputs (a host that `finishes`).
 */
export function runWorker(
  init: WorkerInit,
  instantiate: (bytes: Uint8Array, memory: WasmMemory) => Run,
  hooks: ThreadHooks = {},
): void {
  const ctl = new Control(init.memory, init.controlAt);
  const run = instantiate(init.bytes, init.memory);
  Atomics.add(ctl.i32, READY, 1);
  let seen = Atomics.load(ctl.i32, GEN);
  // a job published before this worker was up is still open to it
  if (init.thread <= Atomics.load(ctl.i32, LIMIT))
    work(ctl, seen, init.numFeatures, init.numOutputs, init.thread, run, false, hooks);
  // after a job, poll for the next one only when this one was published within 2 * SPIN_MS of the end of
  // the one before (a loop of batches) and polling paid lately (Backoff); batches one at a time find the
  // worker asleep, as before. The gap is taken to the job's publication (OPENED), not to this worker's
  // wake-up: a wake-up that took longer than 2 * SPIN_MS (they do here, now and then) would otherwise keep a
  // worker in a loop of batches from ever polling again, every job paying a wake-up
  let endedUs = -1;
  let close = false;
  const backoff = new Backoff();
  for (;;) {
    let polled = false;
    let late = false;
    if (close && backoff.allowed()) {
      const start = performance.now();
      polled = spinUntil(ctl.i32, GEN, seen, start + SPIN_MS);
      // a poll that saw the job late was preempted: a woken sleeper gets its core back at once, a
      // preempted poller only when the thread it shares the core with ends its time slice
      late =
        performance.now() - start > 2 * SPIN_MS ||
        (sharedClockUs() - Atomics.load(ctl.i32, OPENED) + 2 ** 31) % 2 ** 31 > 25;
      if (!polled) backoff.record(false);
    }
    if (!polled) Atomics.wait(ctl.i32, GEN, seen);
    if (Atomics.load(ctl.i32, STOP) !== 0) return;
    seen = Atomics.load(ctl.i32, GEN);
    close = endedUs >= 0 && publishedWithin(Atomics.load(ctl.i32, OPENED), endedUs, 2 * SPIN_MS * 1000);
    if (init.thread <= Atomics.load(ctl.i32, LIMIT)) {
      const ran = work(ctl, seen, init.numFeatures, init.numOutputs, init.thread, run, polled, hooks);
      if (polled) {
        // and this worker kept pace with the caller (it starts first, so it runs as many blocks): a
        // worker that shares a busy core without the sleeper's priority on wake-up falls behind
        const t = Atomics.load(ctl.ticket, 0);
        const callerRan = t >> GEN_SHIFT === genOf(seen) ? Number((t >> FRONT_SHIFT) & FIELD) : 0;
        backoff.record(!late && ran >= callerRan);
      }
    }
    endedUs = sharedClockUs();
  }
}

/**
 * Whether a job opened at `openedUs` came at most `us` after `endedUs` (both sharedClockUs, modulo 2^31):
 * a job opened before the end (the caller saw the last block done before this worker took its time
 * stamp) counts as close.
 */
export function publishedWithin(openedUs: number, endedUs: number, us: number): boolean {
  const gap = (openedUs - endedUs + 2 ** 31) % 2 ** 31;
  return gap <= us || gap >= 2 ** 30;
}

/** Below this many rows a batch runs on the caller's thread: waking a worker costs more than it saves. */
export const MIN_THREADED_ROWS = 128;

interface AtomicsWaitAsync {
  waitAsync(a: Int32Array, index: number, value: number): { value: Promise<string> | string };
}

/**
 * Rounds of fewer rows are lent (RowLender), bigger ones copied in by the caller: lending measured 1.07-1.10x
 * at 1,000 and 2,000 rows of the shipped model, 0.98-1.01x from 4,000 rows on, where the copy is a small
 * part of a block (`node bench/lend.mjs --rows N`). Big modules (BIG_MODULE_BYTES) are never lent: a row
 * costs them so much that the copy is a small part of any batch (the large model's 1,000 rows: 0.97-0.99x).
 */
export const LEND_MAX_ROWS = 4096;

/** Bytes of rows and outputs per round of a threaded batch (the job region holds one round). */
const ROUND_BYTES = 32 << 20;

/**
 * A module this big (the large bench model's is 1.3 MB) takes one block per thread, not two: every block
 * fetches all of the trees' code again, and at 1,000 rows of the large model two blocks of 250 rows a
 * thread ran at 1.71-1.81x one thread where one block of 500 ran at 1.88-2.06x (the shipped model's 66 KB
 * keeps two: 1.67-1.77x median against 1.47-1.48x; docs/compiled-engine.md, "Threads").
 */
const BIG_MODULE_BYTES = 256 << 10;

/** What a job's threads do beyond running blocks: the loans (tokens, 0: none) and the conversion. */
interface JobLoans {
  loan: number;
  finish: Finish | undefined;
  outLoan: number;
  outRow: number;
}

const NOT_LENT: JobLoans = { loan: 0, finish: undefined, outLoan: 0, outRow: 0 };

/** A synchronous batch's outputs: raw scores, or the model's outputs where `converted`. */
export interface PoolOutput {
  out: Float64Array;
  converted: boolean;
}

export class ForestPool {
  private readonly ctl: Control;
  private readonly workers: WorkerHandle[] = [];
  /** Workers not known to have exited. */
  private alive = 0;
  private gen = 0;
  /** The running job (async jobs run one at a time), or undefined. */
  private busy: Promise<void> | undefined;
  private disposed = false;
  /** The last synchronous job's blocks, and how many of them the caller ran (the rest: workers). */
  lastJob = { blocks: 0, byCaller: 0 };
  /** When the last synchronous call ended (performance.now()): a call soon after is in a loop. */
  private lastEnded = Number.NEGATIVE_INFINITY;
  /** Blocks a thread gets from a batch under the compiled block size (see BIG_MODULE_BYTES). */
  private readonly blocksPerThread: number;
  /** Lends the rows of small rounds (host.lender, unless the module is big: LEND_MAX_ROWS). */
  private lender: RowLender | undefined;
  /** The caller's copy of its blocks of lent rows, and of their outputs into a lent output array. */
  private readonly copyIn: CopyIn | undefined;
  private readonly outCopy: CopyOut | undefined;
  /** How every thread converts its blocks' outputs, where the host's workers can (ThreadHost.finishes). */
  private readonly conversion: { spec: OutputConversion; finish: Finish } | undefined;

  /**
   * A pool of up to `workerCount` worker threads over a forest compiled with a shared memory and scratch for
   * at least workerCount + 1 threads. A synchronous call with n threads runs on the caller and n - 1
   * workers; an async call on n workers. Workers start when a call first needs them (each is a V8 isolate
   * of several MB). With `conversion` (and a host that `finishes`), a synchronous call asked to convert
   * has every thread convert the outputs of its blocks (`finish`: the caller's way).
   */
  constructor(
    private readonly forest: CompiledForest,
    readonly workerCount: number,
    private readonly host: ThreadHost,
    conversion?: { spec: OutputConversion; finish: Finish },
  ) {
    if (!forest.info.shared) throw new Error("a thread pool needs a forest compiled with a shared memory");
    if (workerCount + 1 > forest.maxThreads) {
      throw new RangeError(`the forest was built for at most ${forest.maxThreads} threads`);
    }
    this.ctl = new Control(forest.memory, forest.controlAt);
    const big = forest.moduleBytes().byteLength >= BIG_MODULE_BYTES;
    this.blocksPerThread = big ? 1 : 2;
    this.lender = big ? undefined : host.lender;
    this.copyIn = host.lender?.copier(forest.memory);
    this.outCopy = host.lender?.outCopier(forest.memory);
    this.conversion = host.finishes === true ? conversion : undefined;
  }

  /** Starts workers up to `n` (at most workerCount); returns how many there are. */
  private ensureWorkers(n: number): number {
    const want = Math.min(n, this.workerCount);
    const forest = this.forest;
    while (this.workers.length < want && !this.disposed) {
      this.alive++;
      this.workers.push(
        this.host.start(
          {
            bytes: forest.moduleBytes(),
            memory: forest.memory,
            controlAt: forest.controlAt,
            scratchAt: forest.scratchAt,
            scratchBytes: forest.scratchBytes,
            numFeatures: forest.info.numFeatures,
            numOutputs: forest.info.numOutputs,
            thread: this.workers.length + 1,
            conversion: this.conversion?.spec,
          },
          () => {
            this.alive--;
            // wake an async caller waiting on this worker: it finishes the job itself
            Atomics.notify(this.ctl.i32, DONE);
          },
        ),
      );
    }
    return this.workers.length;
  }

  /** Workers that have instantiated the module (they join jobs from then on). */
  get ready(): number {
    return Atomics.load(this.ctl.i32, READY);
  }

  /** True while an async job runs (a synchronous call then runs on the caller's thread alone). */
  get running(): boolean {
    return this.busy !== undefined;
  }

  /**
   * A new array of the batch's raw scores, on the caller and threads - 1 workers; blocks the caller
   * (Atomics.wait) until all are done. While an async job runs, the caller computes alone. With `convert`,
   * `converted` says whether the threads converted the outputs too (a pool with a conversion that ran the
   * batch on threads); if not, the caller converts them.
   */
  predict(data: Float64Array, nrow: number, threads: number, convert = false): PoolOutput {
    if (threads > 1 && !this.disposed) this.ensureWorkers(threads - 1);
    const { numFeatures: nf, numOutputs: k } = this.forest.info;
    if (this.busy !== undefined || this.disposed || this.alive === 0 || threads <= 1) {
      const out = new Float64Array(nrow * k);
      this.forest.predict(data, nrow, out);
      return { out, converted: false };
    }
    const finish = convert ? this.conversion?.finish : undefined;
    const run = (x: number, n: number, o: number, t: number) => this.forest.runAt(x, n, o, t);
    const lender = this.lender;
    const hooks: ThreadHooks = { copyIn: this.copyIn, finish, copyOut: this.outCopy };
    const inLoop = performance.now() - this.lastEnded < 2 * SPIN_MS;
    // the caller is blocked until every block is done: neither the rows nor the output array can change
    // or go away meanwhile; every thread writes its blocks' outputs into the lent array. Without a lender
    // the caller copies them out after each round.
    const out = lender?.allocate(nrow * k) ?? new Float64Array(nrow * k);
    const outLoan = lender?.lendOutput(out) ?? 0;
    try {
      for (let r0 = 0; r0 < nrow; ) {
        const m = this.roundRows(nrow - r0);
        const rows = data.subarray(r0 * nf, (r0 + m) * nf);
        const token = lender !== undefined && m < LEND_MAX_ROWS ? lender.lend(rows) : 0;
        let outAt: number;
        try {
          const limit = Math.min(threads - 1, this.workerCount);
          const job = this.publish(rows, m, limit, threads, { loan: token, finish, outLoan, outRow: r0 });
          const mine = work(this.ctl, job.gen, nf, k, 0, run, false, hooks);
          this.lastJob = { blocks: job.nblocks, byCaller: mine };
          this.waitDone(job.nblocks, inLoop ? CALLER_SPIN_MS : 0);
          outAt = job.outAt;
        } finally {
          if (token !== 0) lender?.end(token);
        }
        this.checkError();
        if (outLoan === 0) this.copyOut(out, r0, m, outAt);
        r0 += m;
      }
    } finally {
      if (outLoan !== 0) lender?.end(outLoan);
    }
    this.lastEnded = performance.now();
    return { out, converted: finish !== undefined };
  }

  /** Raw scores on `threads` workers; the caller's thread stays free. Jobs run one at a time. */
  async predictAsync(data: Float64Array, nrow: number, out: Float64Array, threads: number): Promise<void> {
    while (this.busy !== undefined) await this.busy.catch(() => {});
    if (this.disposed) throw new Error("the thread pool has been disposed");
    this.ensureWorkers(Math.max(1, threads));
    // Atomics.waitAsync does not keep an event loop alive: the workers do, while the job runs
    for (const w of this.workers) w.ref?.();
    const job = this.runAsync(data, nrow, out, Math.max(1, Math.min(threads, this.workerCount)));
    this.busy = job;
    try {
      await job;
    } finally {
      this.busy = undefined;
      for (const w of this.workers) w.unref?.();
    }
  }

  private async runAsync(
    data: Float64Array,
    nrow: number,
    out: Float64Array,
    workers: number,
  ): Promise<void> {
    if (this.alive === 0) {
      // no worker (none could start): the caller computes, in a later turn of its event loop as a worker's
      // answer would come
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.forest.predict(data, nrow, out);
      return;
    }
    const nf = this.forest.info.numFeatures;
    for (let r0 = 0; r0 < nrow; ) {
      // never lent: the caller's event loop runs during the job, and could change or transfer the rows
      const m = this.roundRows(nrow - r0);
      const job = this.publish(data.subarray(r0 * nf, (r0 + m) * nf), m, workers, workers, NOT_LENT);
      await this.waitDoneAsync(job);
      this.checkError();
      this.copyOut(out, r0, m, job.outAt);
      r0 += m;
    }
  }

  /** Rows of the next round of a batch with `left` rows to go (the job region holds one round). */
  private roundRows(left: number): number {
    const { numFeatures: nf, numOutputs: k } = this.forest.info;
    return Math.min(left, Math.max(1, Math.floor(ROUND_BYTES / (nf * 8 + k * 8))));
  }

  /**
   * Publishes a round of a batch (`m` rows, at most roundRows): opens a new job, then, unless its rows are
   * lent (`loan`), copies them in a few blocks at a time, publishing each piece so workers start early.
   * With `finish`, every thread converts the outputs of its blocks; with an `outLoan`, it copies them into
   * the lent output array, whose row `outRow` is the round's first.
   */
  private publish(
    rows: Float64Array,
    m: number,
    limit: number,
    threads: number,
    { loan, finish, outLoan, outRow }: JobLoans,
  ): { gen: number; nblocks: number; rows: number; outAt: number } {
    const f = this.forest;
    const nf = f.info.numFeatures;
    const k = f.info.numOutputs;
    // blocks: at most the compiled block size (a block goes through every group of trees, so bigger
    // blocks reuse a group's code for more rows); below that, two per thread (a late thread takes fewer),
    // or one where the code is big (BIG_MODULE_BYTES)
    const block = Math.max(
      16,
      Math.ceil(m / MAX_BLOCKS),
      Math.min(f.info.blockRows, Math.ceil(m / (threads * this.blocksPerThread))),
    );
    const nblocks = Math.ceil(m / block);
    const xAt = f.jobAt;
    const outAt = Math.ceil((xAt + m * nf * 8) / 64) * 64;
    f.ensure(outAt + m * k * 8);
    const mem = f.view();
    const { i32, ticket } = this.ctl;
    const gen = ++this.gen;
    const g = genOf(gen) << GEN_SHIFT;
    // close the ticket for the new generation (front = back = 0), write the job, open it
    Atomics.store(ticket, 0, g);
    i32[X] = xAt;
    i32[OUT] = outAt;
    i32[NROWS] = m;
    i32[BLOCK] = block;
    Atomics.store(i32, LIMIT, limit);
    Atomics.store(i32, NBLOCKS, nblocks);
    Atomics.store(i32, LOAN, loan);
    Atomics.store(i32, FINISH, finish !== undefined ? 1 : 0);
    Atomics.store(i32, OUT_LOAN, outLoan);
    Atomics.store(i32, OUT_ROW, outRow);
    Atomics.store(i32, AVAILABLE, loan === 0 ? 0 : nblocks);
    Atomics.store(i32, DONE, 0);
    Atomics.store(i32, ERROR, 0);
    Atomics.store(ticket, 0, g | BigInt(nblocks));
    Atomics.store(i32, OPENED, sharedClockUs());
    Atomics.store(i32, GEN, gen);
    Atomics.notify(i32, GEN);
    if (loan !== 0) return { gen, nblocks, rows: m, outAt };
    // copy the rows in from the back, where the workers start, publishing each block
    for (let b = nblocks - 1; b >= 0; b--) {
      const a = b * block;
      const z = Math.min(m, a + block);
      mem.set(rows.subarray(a * nf, z * nf), (xAt >>> 3) + a * nf);
      Atomics.store(i32, AVAILABLE, nblocks - b);
      Atomics.notify(i32, AVAILABLE);
    }
    return { gen, nblocks, rows: m, outAt };
  }

  private checkError(): void {
    if (Atomics.load(this.ctl.i32, ERROR) !== 0) throw new Error("a compiled-forest thread failed");
  }

  private copyOut(out: Float64Array, r0: number, m: number, outAt: number): void {
    const k = this.forest.info.numOutputs;
    const mem = this.forest.view();
    out.set(mem.subarray(outAt >>> 3, (outAt >>> 3) + m * k), r0 * k);
  }

  /** Returns once the job's `nblocks` are done: polls for at most `spinMs`, then sleeps. */
  private waitDone(nblocks: number, spinMs: number): void {
    const i32 = this.ctl.i32;
    if (spinMs > 0) {
      const until = performance.now() + spinMs;
      while (Atomics.load(i32, DONE) < nblocks) if (performance.now() >= until) break;
    }
    for (;;) {
      const done = Atomics.load(i32, DONE);
      if (done >= nblocks) return;
      Atomics.wait(i32, DONE, done);
    }
  }

  private async waitDoneAsync(job: {
    gen: number;
    nblocks: number;
    rows: number;
    outAt: number;
  }): Promise<void> {
    const i32 = this.ctl.i32;
    const waitAsync = (Atomics as unknown as AtomicsWaitAsync).waitAsync;
    for (;;) {
      const done = Atomics.load(i32, DONE);
      if (done >= job.nblocks) return;
      if (this.alive === 0 || this.disposed) {
        // no worker left to finish it (one failed to start, or the pool was disposed during the call):
        // close the job and compute the round here (any block a worker still writes gets the same bits)
        Atomics.store(this.ctl.ticket, 0, genOf(job.gen) << GEN_SHIFT);
        this.forest.runAt(this.forest.jobAt, job.rows, job.outAt, 0);
        Atomics.store(i32, ERROR, 0);
        return;
      }
      await waitAsync(i32, DONE, done).value;
    }
  }

  /** Stops the workers; an async call still running finishes on the caller's thread. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl.i32, STOP, 1);
    Atomics.add(this.ctl.i32, GEN, 1);
    Atomics.notify(this.ctl.i32, GEN);
    Atomics.notify(this.ctl.i32, DONE);
    for (const w of this.workers) w.terminate();
  }
}
