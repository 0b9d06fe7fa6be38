// worker_threads terminated while an async native predict is in flight, `WORKERS` times. Run it under
// valgrind to see what a terminated worker leaves behind (README, "Memory"):
//   valgrind --leak-check=full --show-leak-kinds=definite node test/leaks/terminate-during-predict.mjs
// Without valgrind it checks that the process survives and the predicts still in flight finish.
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const root = join(import.meta.dirname, "../..");
const WORKERS = Number(process.env.WORKERS ?? 4);

if (isMainThread) {
  for (let i = 0; i < WORKERS; i++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { i } });
    await new Promise((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
    await w.terminate(); // both predicts are still running on libuv's pool
  }
  console.log(`ok: ${WORKERS} workers terminated during async predicts`);
} else {
  const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
  const engine = NativeEngine.fromFile(join(root, "models/hr-attrition/model.txt"), { compiled: false });
  const nf = engine.info.numFeatures;
  const rows = 20_000;
  const X = new Float64Array(rows * nf).map((_, j) => (j % 7) * 0.1);
  // LightGBM's predictor, and the packed-tree kernel (numThreads 1 takes it when enabled)
  const packed = NativeEngine.fromFile(join(root, "models/hr-attrition/model.txt"));
  void engine.predictAsync(X, rows, { numThreads: 1 });
  void packed.predictAsync(X, rows, { numThreads: 1 });
  parentPort.postMessage(workerData.i);
}
