/**
 * A compiled forest at run time: the module from compile.ts instantiated over its own WebAssembly.Memory,
 * with the model's tables copied in, and the calls that move rows in and raw scores out.
 *
 * Memory map (bytes):
 *   [0, TABLE_BASE)           the table walk's rank row (walk.ts; this thread's synchronous calls only)
 *   [TABLE_BASE, tablesEnd)   leaf values, threshold tables, bitsets, the walk's entries (compile.ts)
 *   control block             CONTROL_BYTES for the thread pool (pool.ts)
 *   per thread                its rank scratch (blockRows rank rows), and for thread 0 one input row and
 *                             its outputs (the single-row path)
 *   chunk                     input rows and outputs of a chunk of a batch on the caller's thread
 *   job                       input rows and outputs of a threaded round (pool.ts), grown on demand
 *
 * Batches on one thread stream through the chunk region (bounded memory whatever the batch); threaded
 * batches copy a round of rows to the job region, then every thread takes blocks of it. The regions are
 * apart so that a synchronous call can run while an async threaded one is in flight.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

import type { Layout } from "../model-text/layout.js";
import type { ParsedModel } from "../model-text/parse.js";
import { EvaluatorChooser, IF_ELSE, WALK } from "./chooser.js";
import { type CompiledModel, type CompileOptions, compileForest, TABLE_BASE } from "./compile.js";
import { CONTROL_BYTES } from "./pool.js";
import { WALK_MAX_ROWS } from "./walk.js";
import { requireWebAssembly, type WasmMemory, type WasmModule } from "./wasm-api.js";

type RunFn = (x: number, n: number, out: number, q: number) => void;

/**
 * Batches of at most this many rows take a native walker, when one is attached (on the large bench model
 * the addon's AVX-512 walk did 181k rows/s on batches of 64 to 4,096 rows, the if/else code 99k at 64
 * rows and 130k at 1,000, alternating in one process; the run of record had the if/else code at 178k from
 * 1,000 rows: the batches where the two meet keep the if/else code and its threads).
 */
export const NATIVE_WALK_MAX_ROWS = 256;
type RankFn = (x: number, q: number, n: number) => void;

/**
 * A native walker of the walk's tables (the addon's SIMD kernels, native/walk_kernel.cc), made by the
 * native engine from `walkSource()`: it reads the rank rows the module's `rank` export writes.
 */
export interface TableWalker {
  /** Raw scores of the n rank rows at the start of `ranks` into out[0 .. n * numOutputs). */
  run(ranks: Uint8Array, n: number, out: Float64Array): void;
  /** A function that walks the one rank row of `ranks` into `out`, with no argument checks. */
  bindRow(ranks: Uint8Array, out: Float64Array): () => void;
}

/** What a native walker is built from: the tables (a view of the memory) and their layout. */
export interface WalkSource {
  tables: Uint8Array;
  /** [tableBase, entriesAt, entriesEnd, groupsAddr, numTrees, k, rankRowBytes, categorical] */
  spec: Int32Array;
}

const PAGE = 65536;
const align = (n: number, a = 64) => Math.ceil(n / a) * a;

export interface ForestOptions extends CompileOptions {
  /** Threads that may run this forest at once (the main thread counts); sizes the scratch (default 1). */
  maxThreads?: number;
  /** Run a block of rows at load so that V8 optimises every function early (default true). */
  prime?: boolean;
}

/** Memory use of a loaded forest, for reporting. */
export interface ForestMemory {
  /** Size of the module's bytes (what the engine compiles; V8's machine code is of the same order). */
  wasmBytes: number;
  /** The linear memory: tables, scratch and io (grows with the largest batch round). */
  memoryBytes: number;
  /** Of which the model's tables. */
  tableBytes: number;
}

export class CompiledForest {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly info: Omit<CompiledModel, "bytes" | "tables">;
  readonly wasmBytes: number;
  private readonly bytes: Uint8Array | undefined;
  readonly tableBytes: number;
  readonly maxThreads: number;
  /** Byte offsets of the fixed regions. */
  readonly controlAt: number;
  readonly scratchAt: number;
  readonly scratchBytes: number;
  readonly rowAt: number;
  readonly rowOutAt: number;
  /** Start of the chunk region (single-thread batches) and of the job region (threaded rounds). */
  readonly chunkAt: number;
  readonly jobAt: number;

  private readonly run: RunFn;
  /** The table walk (big models; this thread only), or run where the module has none. */
  private readonly walk: RunFn;
  private readonly walkRows: number;
  /** The native walker, when one is attached: the walk's calls go through it. */
  private walker: TableWalker | undefined;
  private walkerRow: (() => void) | undefined;
  private walkerOut: Float64Array | undefined;
  private walkerScratch: Uint8Array | undefined;
  private readonly rank: RankFn | undefined;
  private readonly rankRowBytes: number;
  private readonly blockRows: number;
  private readonly walkLayout: CompiledModel["walkLayout"];
  /**
   * With the walk by default (walk "auto"): which evaluator serves single rows and small batches, timed on
   * the program's calls (chooser.ts); undefined with walk "always" or "never" (then it is fixed).
   */
  private readonly rowChooser: EvaluatorChooser | undefined;
  private readonly batchChooser: EvaluatorChooser | undefined;
  private f64: Float64Array;
  private readonly nf: number;
  private readonly k: number;
  /** Rows per chunk of a single-thread batch, and where the chunk's outputs go. */
  private readonly chunkRows: number;
  private readonly chunkOutAt: number;

  private constructor(
    module: WasmModule,
    compiled: CompiledModel,
    maxThreads: number,
    prime: boolean,
    choose: boolean,
  ) {
    const { bytes, tables, ...info } = compiled;
    this.module = module;
    // worker threads compile their own copy (see WorkerInit): keep the bytes of a threaded forest
    this.bytes = compiled.shared ? bytes : undefined;
    this.info = info;
    this.wasmBytes = bytes.length;
    this.tableBytes = tables.length;
    this.maxThreads = maxThreads;
    this.nf = compiled.numFeatures;
    this.k = compiled.numOutputs;
    this.controlAt = align(TABLE_BASE + tables.length);
    this.scratchAt = this.controlAt + CONTROL_BYTES;
    this.scratchBytes = align(compiled.blockRows * compiled.rankRowBytes);
    this.rowAt = this.scratchAt + maxThreads * this.scratchBytes;
    this.rowOutAt = align(this.rowAt + this.nf * 8);
    this.chunkAt = align(this.rowOutAt + this.k * 8);
    const rowBytes = this.nf * 8 + this.k * 8;
    this.chunkRows = Math.max(
      compiled.blockRows,
      Math.floor((1 << 20) / rowBytes / compiled.blockRows) * compiled.blockRows,
    );
    this.chunkOutAt = align(this.chunkAt + this.chunkRows * this.nf * 8);
    this.jobAt = align(this.chunkOutAt + this.chunkRows * this.k * 8);
    const initial = Math.ceil(this.jobAt / PAGE);
    const wasm = requireWebAssembly();
    this.memory = new wasm.Memory({ initial, maximum: compiled.maxPages, shared: compiled.shared });
    new Uint8Array(this.memory.buffer, TABLE_BASE, tables.length).set(tables);
    const instance = new wasm.Instance(module, { env: { memory: this.memory } });
    this.run = instance.exports.run as RunFn;
    this.walk = compiled.hasWalk ? (instance.exports.walk as RunFn) : this.run;
    this.walkRows = compiled.hasWalk ? WALK_MAX_ROWS : 0;
    this.rank = compiled.hasWalk ? (instance.exports.rank as RankFn) : undefined;
    this.rankRowBytes = compiled.rankRowBytes;
    this.blockRows = compiled.blockRows;
    this.walkLayout = compiled.walkLayout;
    this.rowChooser = compiled.hasWalk && choose ? new EvaluatorChooser() : undefined;
    this.batchChooser = compiled.hasWalk && choose ? new EvaluatorChooser() : undefined;
    this.f64 = new Float64Array(this.memory.buffer);
    if (prime) this.prime();
  }

  /**
   * Runs a block of zero rows through every function once. V8 starts a module on its baseline compiler
   * (Liftoff) and optimises a function once it has done enough work; a block is enough for every function
   * here, so the optimising compiles start in the background at load rather than when traffic comes.
   */
  private prime(): void {
    const rows = Math.min(256, this.chunkRows);
    this.f64.fill(0, this.chunkAt >>> 3, (this.chunkAt >>> 3) + rows * this.nf);
    this.run(this.chunkAt, rows, this.chunkOutAt, this.scratchAt);
    if (this.walkRows > 0) this.walk(this.chunkAt, Math.min(rows, 64), this.chunkOutAt, this.scratchAt);
  }

  /** Compiles and instantiates synchronously (Node; browsers refuse synchronous compiles of large modules). */
  static fromModel(model: ParsedModel, layout: Layout, options: ForestOptions = {}): CompiledForest {
    const compiled = compileForest(model, layout, options);
    const module = new (requireWebAssembly().Module)(compiled.bytes);
    return new CompiledForest(
      module,
      compiled,
      options.maxThreads ?? 1,
      options.prime ?? true,
      choosesOf(options),
    );
  }

  /** Compiles off the main thread where the runtime can (WebAssembly.compile), then instantiates. */
  static async create(
    model: ParsedModel,
    layout: Layout,
    options: ForestOptions = {},
  ): Promise<CompiledForest> {
    const compiled = compileForest(model, layout, options);
    const module = await requireWebAssembly().compile(compiled.bytes);
    return new CompiledForest(
      module,
      compiled,
      options.maxThreads ?? 1,
      options.prime ?? true,
      choosesOf(options),
    );
  }

  /**
   * The walk's tables and layout for a native walker, or undefined when this forest has no walk or its
   * memory is not shared (a shared memory never moves, so a walker may keep pointers into it).
   */
  walkSource(): WalkSource | undefined {
    const w = this.walkLayout;
    if (w === undefined || !this.info.shared) return undefined;
    const spec = Int32Array.of(
      TABLE_BASE,
      w.entriesAt,
      w.entriesEnd,
      w.groupsAddr,
      this.info.numTrees,
      this.k,
      this.rankRowBytes,
      w.categorical ? 1 : 0,
    );
    return { tables: new Uint8Array(this.memory.buffer, TABLE_BASE, this.tableBytes), spec };
  }

  /** Routes single rows and batches of up to NATIVE_WALK_MAX_ROWS rows through a native walker. */
  attachWalker(walker: TableWalker): void {
    if (this.walkSource() === undefined) throw new Error("this forest has no walk a native walker can take");
    const buffer = this.memory.buffer;
    this.walkerOut = new Float64Array(this.k);
    this.walkerRow = walker.bindRow(new Uint8Array(buffer, 0, this.rankRowBytes), this.walkerOut);
    this.walkerScratch = new Uint8Array(buffer, this.scratchAt, this.blockRows * this.rankRowBytes);
    this.walker = walker;
  }

  /** Whether a native walker serves the walk's calls. */
  get nativeWalk(): boolean {
    return this.walker !== undefined;
  }

  get memoryUse(): ForestMemory {
    return {
      wasmBytes: this.wasmBytes,
      memoryBytes: this.memory.buffer.byteLength,
      tableBytes: this.tableBytes,
    };
  }

  /** The module's bytes, for worker threads (forests compiled with a shared memory only). */
  moduleBytes(): Uint8Array {
    if (this.bytes === undefined)
      throw new Error("only a forest compiled for threads keeps its module's bytes");
    return this.bytes;
  }

  /** The memory as f64, refreshed after the memory grew. */
  view(): Float64Array {
    if (this.f64.buffer.byteLength !== this.memory.buffer.byteLength)
      this.f64 = new Float64Array(this.memory.buffer);
    return this.f64;
  }

  /** Grows the memory so that [0, bytes) exists. */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > this.info.maxPages) {
        throw new RangeError(
          `the batch needs ${Math.ceil(bytes / 2 ** 20)} MiB of WebAssembly memory, more than its maximum`,
        );
      }
      this.memory.grow(pages);
    }
  }

  /**
   * Raw scores of one row (numFeatures values) into out[0 .. numOutputs); big models take the walk or the
   * if/else code, whichever is faster on the program's rows (chooser.ts).
   */
  predictRow(row: Float64Array, out: Float64Array): void {
    const f = this.f64;
    const x = this.rowAt >>> 3;
    for (let i = 0; i < row.length; i++) f[x + i] = row[i];
    const chooser = this.rowChooser;
    const evaluator = chooser === undefined ? WALK : chooser.begin();
    if (evaluator === WALK && this.walkerRow !== undefined) {
      // the module ranks the row into the walk's rank row at 0; the walker walks it
      this.rank!(this.rowAt, 0, 1);
      this.walkerRow();
      const w = this.walkerOut!;
      for (let c = 0; c < this.k; c++) out[c] = w[c];
    } else {
      // `walk` is `run` in a forest without the walk
      (evaluator === WALK ? this.walk : this.run)(this.rowAt, 1, this.rowOutAt, this.scratchAt);
      const o = this.rowOutAt >>> 3;
      for (let c = 0; c < this.k; c++) out[c] = f[o + c];
    }
    if (chooser?.timed) chooser.end(1);
  }

  /**
   * Raw scores of nrow rows of data (row-major) into out[0 .. nrow * numOutputs), on this thread; small
   * batches of big models take the walk.
   */
  predict(data: Float64Array, nrow: number, out: Float64Array): void {
    const { nf, k } = this;
    const chunk = this.chunkRows;
    const xAt = this.chunkAt;
    const outAt = this.chunkOutAt;
    const f = this.view();
    const walkRows = this.walker !== undefined ? NATIVE_WALK_MAX_ROWS : this.walkRows;
    const chooser = nrow > 0 && nrow <= walkRows ? this.batchChooser : undefined;
    const evaluator = nrow > walkRows ? IF_ELSE : chooser === undefined ? WALK : chooser.begin();
    if (evaluator === WALK && this.walker !== undefined) {
      // chunks of WALK_MAX_ROWS rows: ranked by the module into the scratch, walked by the walker
      for (let r0 = 0; r0 < nrow; r0 += WALK_MAX_ROWS) {
        const m = Math.min(WALK_MAX_ROWS, nrow - r0);
        f.set(data.subarray(r0 * nf, (r0 + m) * nf), xAt >>> 3);
        this.rank!(xAt, this.scratchAt, m);
        this.walker.run(this.walkerScratch!, m, r0 === 0 ? out : out.subarray(r0 * k));
      }
    } else {
      const run = evaluator === WALK ? this.walk : this.run;
      for (let r0 = 0; r0 < nrow; r0 += chunk) {
        const m = Math.min(chunk, nrow - r0);
        f.set(data.subarray(r0 * nf, (r0 + m) * nf), xAt >>> 3);
        run(xAt, m, outAt, this.scratchAt);
        out.set(f.subarray(outAt >>> 3, (outAt >>> 3) + m * k), r0 * k);
      }
    }
    if (chooser?.timed) chooser.end(nrow);
  }

  /** Which evaluator serves single rows and small batches now ("walk", "if/else"), for diagnostics and tests. */
  get evaluators(): { row: "walk" | "if/else"; batch: "walk" | "if/else" } | undefined {
    const name = (c: EvaluatorChooser) => (c.current === WALK ? "walk" : "if/else");
    if (this.rowChooser === undefined || this.batchChooser === undefined) return undefined;
    return { row: name(this.rowChooser), batch: name(this.batchChooser) };
  }

  /** The run export, for thread workers and the pool (rows already in memory). */
  runAt(x: number, n: number, out: number, thread: number): void {
    this.run(x, n, out, this.scratchAt + thread * this.scratchBytes);
  }
}

/** The walk "auto" (the default) lets the forest choose its small calls' evaluator; "always" and "never" fix it. */
function choosesOf(options: ForestOptions): boolean {
  return (options.walk ?? "auto") === "auto";
}
