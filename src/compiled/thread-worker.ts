/**
 * A compiled forest's worker thread (Node): compile the module's bytes (a copy of its own), instantiate it
 * over the shared memory, then take blocks. With `addon` (lendingThreadHost), it loads the addon to copy
 * its own blocks of lent rows in and their outputs out, and, given a `conversion`, to convert them.
 */
import { createRequire } from "node:module";
import { workerData } from "node:worker_threads";
import { runWorker, type WorkerInit } from "./pool.js";
import { blockFinisher, type Converters, lentCopier, lentOutCopier, type RowLoans } from "./pool-node.js";
import { requireWebAssembly } from "./wasm-api.js";

const init = workerData as WorkerInit;
const addon =
  init.addon === undefined
    ? undefined
    : (createRequire(import.meta.url)(init.addon) as RowLoans & Converters);
runWorker(
  init,
  (bytes, memory) => {
    const wasm = requireWebAssembly();
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    const run = instance.exports.run as (x: number, n: number, out: number, q: number) => void;
    return (x, n, out, thread) => run(x, n, out, init.scratchAt + thread * init.scratchBytes);
  },
  addon === undefined
    ? {}
    : {
        copyIn: lentCopier(addon, init.memory),
        copyOut: lentOutCopier(addon, init.memory),
        finish:
          init.conversion === undefined ? undefined : blockFinisher(addon, init.conversion, init.memory),
      },
);
