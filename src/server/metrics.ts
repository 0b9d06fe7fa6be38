/**
 * Prometheus metrics (prom-client, one registry per server): requests and latency per route and status,
 * predictions per class, batch sizes, model load time and version, event-loop lag and the process
 * defaults. Served at GET /metrics.
 */
import client from "prom-client";
import type { Result } from "./sdk.js";

export class Metrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<"method" | "route" | "status">;
  readonly latency: client.Histogram<"method" | "route" | "status">;
  readonly predictions: client.Counter<"model" | "version" | "class">;
  readonly batchRows: client.Histogram<"model">;
  readonly requestRows: client.Histogram<"model" | "route">;
  readonly modelLoadSeconds: client.Gauge<"model" | "version">;
  readonly modelInfo: client.Gauge<"model" | "version" | "engine" | "objective" | "sha256">;
  readonly reloads: client.Counter<"model" | "result">;

  constructor(labels: Record<string, string> = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.requests = new client.Counter({
      name: "lgbm_http_requests_total",
      help: "HTTP requests by method, route and status code",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.latency = new client.Histogram({
      name: "lgbm_http_request_duration_seconds",
      help: "HTTP request latency by method, route and status code",
      labelNames: ["method", "route", "status"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.predictions = new client.Counter({
      name: "lgbm_predictions_total",
      help: 'Predictions by model, version and predicted class ("value" for regression)',
      labelNames: ["model", "version", "class"],
      registers,
    });
    this.batchRows = new client.Histogram({
      name: "lgbm_engine_batch_rows",
      help: "Rows per engine call (micro-batches and batch requests)",
      labelNames: ["model"],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384],
      registers,
    });
    this.requestRows = new client.Histogram({
      name: "lgbm_request_rows",
      help: "Records per prediction request",
      labelNames: ["model", "route"],
      buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    });
    this.modelLoadSeconds = new client.Gauge({
      name: "lgbm_model_load_seconds",
      help: "Time the last (re)load of the model took",
      labelNames: ["model", "version"],
      registers,
    });
    this.modelInfo = new client.Gauge({
      name: "lgbm_model_info",
      help: "1 for each model version being served, with its engine, objective and file digest",
      labelNames: ["model", "version", "engine", "objective", "sha256"],
      registers,
    });
    this.reloads = new client.Counter({
      name: "lgbm_model_reloads_total",
      help: "Model reloads by result (ok, failed)",
      labelNames: ["model", "result"],
      registers,
    });
  }

  countPredictions(model: string, version: string, results: Result[]): void {
    const counts = new Map<string, number>();
    for (const r of results) {
      const c = "prediction" in r ? String(r.prediction) : "value";
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const [c, n] of counts) this.predictions.inc({ model, version, class: c }, n);
  }
}
