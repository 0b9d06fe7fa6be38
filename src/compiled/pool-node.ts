/**
 * Worker threads for compiled forests in Node (and Electron's main process): each worker is
 * thread-worker.js with the module and the shared memory in its workerData. Workers are unref'd: an idle
 * pool never keeps a process alive.
 */
import { Worker } from "node:worker_threads";
import type {
  CopyIn,
  CopyOut,
  Finish,
  OutputConversion,
  RowLender,
  ThreadHost,
  WorkerHandle,
  WorkerInit,
} from "./pool.js";
import type { WasmMemory } from "./wasm-api.js";

function startWorker(init: WorkerInit, onExit: () => void): WorkerHandle {
  const worker = new Worker(new URL("./thread-worker.js", import.meta.url), { workerData: init });
  worker.unref();
  // a worker that cannot start (or ends) leaves its blocks to the caller's thread
  worker.on("error", () => {});
  worker.once("exit", onExit);
  return { terminate: () => void worker.terminate(), ref: () => worker.ref(), unref: () => worker.unref() };
}

/** Workers that take rows the caller copied in (the wasm engine: no native code). */
export const nodeThreadHost: ThreadHost = { start: startWorker };

/** The addon's side of a loan (native/row_loan.h), as every thread that takes part sees it. */
export interface RowLoans {
  lendRows(data: Float64Array): number;
  lendOutput(out: Float64Array): number;
  endLoan(token: number): void;
  copyLent(token: number, srcByte: number, dst: ArrayBufferView, dstByte: number, bytes: number): boolean;
  copyToLent(token: number, src: ArrayBufferView, srcByte: number, dstByte: number, bytes: number): boolean;
}

/** Copies through the addon's copyLent into a view of the memory, renewed when the memory has grown. */
export function lentCopier(loans: RowLoans, memory: WasmMemory): CopyIn {
  let view = new Uint8Array(memory.buffer);
  return (token, src, dst, bytes) => {
    if (dst + bytes > view.byteLength) view = new Uint8Array(memory.buffer);
    if (!loans.copyLent(token, src, view, dst, bytes)) throw new Error("the batch's rows were taken back");
  };
}

/** Copies blocks' outputs from the memory through the addon's copyToLent into a lent output array. */
export function lentOutCopier(loans: RowLoans, memory: WasmMemory): CopyOut {
  let view = new Uint8Array(memory.buffer);
  return (token, src, dst, bytes) => {
    if (src + bytes > view.byteLength) view = new Uint8Array(memory.buffer);
    if (!loans.copyToLent(token, view, src, dst, bytes)) throw new Error("the batch's output was taken back");
  };
}

/**
 * From this many bytes an output array is allocated without zero-filling (unfilledFloat64): a zero-filled
 * array takes every fresh page's fault on the caller (40-250 µs for 10,000 outputs here, against 45-70 µs);
 * below it, Buffer.allocUnsafeSlow costs more than it saves (15 µs for 1,000 outputs against 1.5 µs).
 */
export const UNFILLED_MIN_BYTES = 32 << 10;

/**
 * A Float64Array of `length` values for a batch that writes every value before the caller sees it: from
 * UNFILLED_MIN_BYTES on, not zero-filled (Buffer.allocUnsafeSlow: its own buffer, never the shared pool),
 * so the threads that write it take its pages' faults, each on its own blocks.
 */
export function unfilledFloat64(length: number): Float64Array {
  if (length * 8 < UNFILLED_MIN_BYTES) return new Float64Array(length);
  const bytes = Buffer.allocUnsafeSlow(length * 8);
  return new Float64Array(bytes.buffer, bytes.byteOffset, length);
}

/**
 * Workers that copy their own blocks of a synchronous batch the caller lends them, through the addon
 * (`loans`, loaded from `addonPath`; each worker loads the same file), and convert their blocks' outputs
 * with the addon's OutputConverter (glibc's libm, as LightGBM): the native engine.
 */
export function lendingThreadHost(addonPath: string, loans: RowLoans): ThreadHost {
  const lender: RowLender = {
    lend: (rows) => loans.lendRows(rows),
    end: (token) => loans.endLoan(token),
    copier: (memory) => lentCopier(loans, memory),
    lendOutput: (out) => loans.lendOutput(out),
    outCopier: (memory) => lentOutCopier(loans, memory),
    allocate: unfilledFloat64,
  };
  return {
    lender,
    finishes: true,
    start: (init, onExit) => startWorker({ ...init, addon: addonPath }, onExit),
  };
}

/** The addon's output converter, as a worker builds it (src/native/binding.ts has the full interface). */
export interface Converters {
  OutputConverter: new (
    transform: number,
    sigmoid: number,
    k: number,
    average: number,
  ) => { convert(out: Float64Array, nrow: number): void };
}

/** Converts blocks of raw scores in the memory in place, through the addon's OutputConverter. */
export function blockFinisher(addon: Converters, conversion: OutputConversion, memory: WasmMemory): Finish {
  const { transform, sigmoid, k, average } = conversion;
  const converter = new addon.OutputConverter(transform, sigmoid, k, average);
  return (outByte, rows) => converter.convert(new Float64Array(memory.buffer, outByte, rows * k), rows);
}
