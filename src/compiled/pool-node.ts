/**
 * Worker threads for compiled forests in Node (and Electron's main process): each worker is
 * thread-worker.js with the module and the shared memory in its workerData. Workers are unref'd: an idle
 * pool never keeps a process alive.
 */
import { Worker } from "node:worker_threads";
import type { ThreadHost, WorkerInit } from "./pool.js";

export const nodeThreadHost: ThreadHost = {
  start(init: WorkerInit, onExit: () => void) {
    const worker = new Worker(new URL("./thread-worker.js", import.meta.url), { workerData: init });
    worker.unref();
    // a worker that cannot start (or ends) leaves its blocks to the caller's thread
    worker.on("error", () => {});
    worker.once("exit", onExit);
    return { terminate: () => void worker.terminate(), ref: () => worker.ref(), unref: () => worker.unref() };
  },
};
