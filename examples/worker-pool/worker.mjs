// One pool worker: loads the model once (its own native booster in this thread), then answers tasks.
import { parentPort, threadId, workerData } from "node:worker_threads";
import { Model } from "lightgbm-node";

let model;
try {
  model = await Model.load(workerData.modelPath, { engine: workerData.engine, numThreads: workerData.numThreads });
  parentPort.postMessage({ type: "ready", threadId, engine: model.engine.name });
} catch (err) {
  parentPort.postMessage({ type: "error", error: err.message });
  process.exit(1);
}

parentPort.on("message", (task) => {
  try {
    if (task.kind === "records") {
      parentPort.postMessage({ id: task.id, result: model.predict(task.records) });
    } else {
      const out = model.predict(task.data, { numThreads: workerData.numThreads });
      parentPort.postMessage({ id: task.id, result: out }, [out.buffer]);
    }
  } catch (err) {
    parentPort.postMessage({ id: task.id, error: { name: err.name, message: err.message, issues: err.issues } });
  }
});
