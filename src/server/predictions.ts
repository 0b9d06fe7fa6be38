/**
 * What happens after every prediction, whatever asked for it (REST /predict, /predict/batch, V2 infer
 * over REST or gRPC): records-per-request and per-class counts, the drift monitor, the prediction log.
 */
import type { ColumnarInput } from "../bundle/encoder.js";
import type { PredictionResult } from "../bundle/output.js";
import type { InputRecord } from "../bundle/schema.js";
import type { DriftRegistry } from "../drift/monitor.js";
import type { PredictionLog } from "./prediction-log.js";
import type { ModelEntry, PredictionRoute } from "./registry.js";

type Result = PredictionResult & Record<string, unknown>;

export class Predictions {
  constructor(
    private readonly drift: DriftRegistry,
    private readonly log: PredictionLog | undefined,
  ) {}

  /** One record and its result (the /predict route's call: no arrays made). */
  one(entry: ModelEntry, requestId: string, record: InputRecord, result: PredictionResult, t0: number): void {
    entry.rows.predict.observe(1);
    entry.predictions.countOne(result as Result);
    this.drift.observeOne(entry.name, entry.model.spec, record, result);
    this.log?.write([record], [result], this.#meta(entry, requestId, "predict", t0));
  }

  /**
   * The results of one request's records: named records or columns (drift sees their fields), or
   * encoded feature rows (`{ features: [...] }` in the log, made only when there is a log; no named
   * fields for drift).
   */
  many(
    entry: ModelEntry,
    requestId: string,
    route: PredictionRoute,
    input: readonly InputRecord[] | ColumnarInput | (() => { features: number[] }[]),
    results: readonly PredictionResult[],
    t0: number,
  ): void {
    entry.rows[route].observe(results.length);
    entry.predictions.count(results as Result[]);
    if (typeof input === "function") {
      this.log?.write(input(), results as unknown[], this.#meta(entry, requestId, route, t0));
      return;
    }
    const records = Array.isArray(input)
      ? (input as readonly unknown[])
      : columnsToRecords(input as ColumnarInput, results.length);
    this.drift.observe(entry.name, entry.model.spec, records, results);
    this.log?.write(records as unknown[], results as unknown[], this.#meta(entry, requestId, route, t0));
  }

  /** Rows of a request that asked for no named prediction (V2 outputs such as raw or contrib only). */
  rows(entry: ModelEntry, route: PredictionRoute, nrow: number): void {
    entry.rows[route].observe(nrow);
  }

  #meta(entry: ModelEntry, requestId: string, route: PredictionRoute, t0: number) {
    return {
      request_id: requestId,
      model: entry.name,
      version: entry.version,
      route,
      latency_ms: performance.now() - t0,
    };
  }
}

function columnsToRecords(cols: ColumnarInput, n: number): InputRecord[] {
  const keys = Object.keys(cols);
  return Array.from({ length: n }, (_, r) => Object.fromEntries(keys.map((k) => [k, cols[k]?.[r]])));
}
