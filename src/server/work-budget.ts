/**
 * The work budget: V2's `leaf` and `contrib` outputs run LightGBM's own prediction per row, and SHAP
 * values cost far more than a prediction (tree SHAP visits every leaf of every tree for each row: about
 * 0.5 ms a row for the shipped 100-tree model, so 20,000 rows sent in 800 KB took 9.6 s of CPU). Their
 * cost per row is measured on the model once, on first use (a few rows of its example record, the best
 * of three one-thread calls), and a request whose rows would take longer than `--max-work-ms` is refused
 * before any of it runs. Plain predictions cost microseconds a row and are bounded by the body limit.
 */
import type { Model } from "../model.js";
import { exampleRecord } from "./example-record.js";
import { InferenceError } from "./inference/tensors.js";

/** Refused for its work: 400 over V2 REST, RESOURCE_EXHAUSTED over gRPC. */
export class TooMuchWorkError extends InferenceError {
  readonly code = "ERR_TOO_MUCH_WORK";
}

type Costly = "leaf" | "contrib";
const measured = new WeakMap<Model, Partial<Record<Costly, number>>>();

/** Milliseconds a row of `type` takes on this model (measured once per model and type). */
export function rowMillis(model: Model, type: Costly): number {
  let byType = measured.get(model);
  if (!byType) {
    byType = {};
    measured.set(model, byType);
  }
  let ms = byType[type];
  if (ms === undefined) {
    const rows = 4;
    let data: Float64Array;
    try {
      data = model.encode(Array.from({ length: rows }, () => exampleRecord(model))).data;
    } catch {
      data = new Float64Array(rows * model.info.numFeatures);
    }
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      model.predict(data, { type, numThreads: 1 });
      best = Math.min(best, performance.now() - t0);
    }
    ms = Math.max(1e-6, best / rows);
    byType[type] = ms;
  }
  return ms;
}

/** Refuses a request whose leaf/contrib rows would take longer than `maxMs`. */
export function checkWork(model: Model, outputs: readonly string[], nrow: number, maxMs: number): void {
  let total = 0;
  const parts: string[] = [];
  for (const o of outputs) {
    if (o !== "leaf" && o !== "contrib") continue;
    const ms = rowMillis(model, o);
    total += ms * nrow;
    parts.push(`${o} ${ms < 0.01 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`}`);
  }
  if (total <= maxMs) return;
  throw new TooMuchWorkError(
    `the request would take about ${(total / 1000).toFixed(1)} s of CPU (${nrow} rows; per row: ${parts.join(", ")}), over the server's limit of ${maxMs} ms (--max-work-ms): send fewer rows per request`,
  );
}
