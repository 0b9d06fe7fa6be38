/**
 * Prometheus metrics (prom-client, one registry per server): requests and latency per route and status,
 * predictions per class, batch sizes, model load time and version, event-loop lag and the process
 * defaults. Served at GET /metrics.
 */
import client from "prom-client";
import type { PredictionResult } from "../bundle/output.js";
import { type CounterChild, FastCounter, FastHistogram, type HistogramChild } from "./fast-metrics.js";

type Result = PredictionResult & Record<string, unknown>;

export interface PredictionCounter {
  count(results: readonly Result[]): void;
  countOne(result: Result): void;
}

/** The class key of results without a predicted class (regression): counted as "value". */
const VALUE = Symbol("value");

export class Metrics {
  readonly registry = new client.Registry();
  /** Labels: method, route, status. */
  readonly requests: FastCounter;
  /** Labels: method, route, status. */
  readonly latency: FastHistogram;
  /** Labels: model, version, class. */
  readonly predictions: FastCounter;
  /** Labels: model. */
  readonly batchRows: FastHistogram;
  /** Labels: model, route. */
  readonly requestRows: FastHistogram;
  /** Labels: method, code (gRPC status name). */
  readonly grpcRequests: FastCounter;
  /** Labels: method, code. */
  readonly grpcLatency: FastHistogram;
  readonly modelLoadSeconds: client.Gauge<"model" | "version">;
  readonly modelInfo: client.Gauge<"model" | "version" | "engine" | "objective" | "sha256">;
  readonly reloads: client.Counter<"model" | "result">;

  constructor(labels: Record<string, string> = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels(labels);
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.requests = new FastCounter(
      "lgbm_http_requests_total",
      "HTTP requests by method, route and status code",
      ["method", "route", "status"],
      registers,
    );
    this.latency = new FastHistogram(
      "lgbm_http_request_duration_seconds",
      "HTTP request latency by method, route and status code",
      ["method", "route", "status"],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    );
    this.grpcRequests = new FastCounter(
      "lgbm_grpc_requests_total",
      "gRPC calls by method and status code",
      ["method", "code"],
      registers,
    );
    this.grpcLatency = new FastHistogram(
      "lgbm_grpc_request_duration_seconds",
      "gRPC call latency by method and status code",
      ["method", "code"],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    );
    this.predictions = new FastCounter(
      "lgbm_predictions_total",
      'Predictions by model, version and predicted class ("value" for regression)',
      ["model", "version", "class"],
      registers,
    );
    this.batchRows = new FastHistogram(
      "lgbm_engine_batch_rows",
      "Rows per engine call (micro-batches and batch requests)",
      ["model"],
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384],
      registers,
    );
    this.requestRows = new FastHistogram(
      "lgbm_request_rows",
      "Records per prediction request",
      ["model", "route"],
      [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000],
      registers,
    );
    this.modelLoadSeconds = new client.Gauge({
      name: "lgbm_model_load_seconds",
      aggregator: "max", // across --workers: the slowest worker
      help: "Time the last (re)load of the model took",
      labelNames: ["model", "version"],
      registers,
    });
    this.modelInfo = new client.Gauge({
      name: "lgbm_model_info",
      aggregator: "max", // across --workers: 1 per version served, whichever worker
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

  /** Counts one model version's predictions per class; its children are resolved once per class. */
  predictionCounter(model: string, version: string): PredictionCounter {
    const byClass = new Map<unknown, CounterChild>();
    const countOne = (r: Result) => {
      const c = "prediction" in r ? r.prediction : VALUE;
      let child = byClass.get(c);
      if (!child) {
        child = this.predictions.child(model, version, c === VALUE ? "value" : String(c));
        byClass.set(c, child);
      }
      child.inc();
    };
    return {
      count: (results) => {
        for (const r of results) countOne(r);
      },
      countOne,
    };
  }

  /** A cached histogram child for (model, route) record counts. */
  rowsChild(model: string, route: string): HistogramChild {
    return this.requestRows.child(model, route);
  }
}
