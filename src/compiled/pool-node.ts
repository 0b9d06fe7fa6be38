/**
 * Worker threads for compiled forests in Node (and Electron's main process): each worker is
 * thread-worker.js with the module and the shared memory in its workerData. Workers are unref'd: an idle
 * pool never keeps a process alive.
 */
import { Worker } from "node:worker_threads";
import type { CopyIn, RowLender, ThreadHost, WorkerHandle, WorkerInit } from "./pool.js";
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
  endLoan(token: number): void;
  copyLent(token: number, srcByte: number, dst: ArrayBufferView, dstByte: number, bytes: number): boolean;
}

/** Copies through the addon's copyLent into a view of the memory, renewed when the memory has grown. */
export function lentCopier(loans: RowLoans, memory: WasmMemory): CopyIn {
  let view = new Uint8Array(memory.buffer);
  return (token, src, dst, bytes) => {
    if (dst + bytes > view.byteLength) view = new Uint8Array(memory.buffer);
    if (!loans.copyLent(token, src, view, dst, bytes)) throw new Error("the batch's rows were taken back");
  };
}

/**
 * Workers that copy their own blocks of a synchronous batch the caller lends them, through the addon
 * (`loans`, loaded from `addonPath`; each worker loads the same file): the native engine.
 */
export function lendingThreadHost(addonPath: string, loans: RowLoans): ThreadHost {
  const lender: RowLender = {
    lend: (rows) => loans.lendRows(rows),
    end: (token) => loans.endLoan(token),
    copier: (memory) => lentCopier(loans, memory),
  };
  return { lender, start: (init, onExit) => startWorker({ ...init, addon: addonPath }, onExit) };
}
