/**
 * A worker's side of `--workers N` (the primary's is cluster.ts). What concerns the whole server goes
 * through the primary over the cluster's IPC channel:
 *
 * - loading and unloading models (the repository extension, SIGHUP): the worker asks the primary, which
 *   has every worker load the new files first (prepare), then install them only where every worker
 *   loaded them (settle), so the workers never serve different models;
 * - GET /metrics: the primary aggregates every worker's registry (prom-client's AggregatorRegistry).
 *
 * A worker answers the primary's prepare/settle/unload messages one at a time, in order.
 */
import cluster from "node:cluster";
import type { Logger } from "pino";
import { AggregatorRegistry, type Registry } from "prom-client";
import type { LoadOutcome, ModelControl } from "./inference/control.js";
import type { ModelRepository, Prepared } from "./registry.js";

/** Messages between the primary and the workers (all carry `lgbm`, so prom-client's are told apart). */
/** What a worker asks the primary for: a load or unload on every worker, the whole server's metrics. */
export type Ask = { op: "load"; name?: string } | { op: "unload"; name: string } | { op: "metrics" };

export type ToPrimary =
  | ({ lgbm: "ask"; id: number } & Ask)
  | { lgbm: "prepared"; txn: number; loaded: string[]; failed: { model: string; error: string }[] }
  | { lgbm: "settled"; txn: number }
  /** The worker serves: the primary includes it in loads and unloads from now on. */
  | { lgbm: "ready" }
  | { lgbm: "unloaded"; txn: number; had: boolean };

export type ToWorker =
  | { lgbm: "answer"; id: number; value?: unknown; error?: string }
  | { lgbm: "prepare"; txn: number; name?: string }
  | { lgbm: "settle"; txn: number; commit: string[]; reasons: Record<string, string> }
  | { lgbm: "unload"; txn: number; name: string };

/** This worker's number, 1..N: the same for a worker restarted in its place (LGBM_WORKER_SLOT). */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env.LGBM_WORKER_SLOT);
  return Number.isInteger(slot) && slot > 0 ? slot : cluster.worker?.id;
}

/** Models unloaded on the whole server before this worker started (it must not serve them). */
export function unloadedBeforeStart(): string[] {
  try {
    const names = JSON.parse(process.env.LGBM_UNLOADED_MODELS ?? "[]");
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [];
  } catch {
    return [];
  }
}

export interface WorkerLink {
  control: ModelControl;
  /** The whole server's metrics, from the primary. */
  scrape(): Promise<string>;
  /** Tells the primary this worker serves (its models loaded, its port open). */
  ready(): void;
}

/** How long a worker waits for the primary's answer (a reload waits for every worker to load). */
const ANSWER_TIMEOUT_MS = 120_000;

/**
 * Connects this worker to the primary: answers its messages, and asks it for what spans the server.
 * Made before the models load (so the primary's metric requests are answered from the start); the
 * primary sends loads and unloads once ready() said the worker serves.
 */
export function linkWorker(repo: ModelRepository, registry: Registry, logger: Logger): WorkerLink {
  // prom-client's cluster module answers the primary's metric requests with this registry.
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs prom-client's worker listener (idempotent)

  const send = (m: ToPrimary) => {
    if (process.connected) process.send?.(m);
  };
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const prepared = new Map<number, Prepared>();
  let queue: Promise<unknown> = Promise.resolve();
  const inOrder = (op: () => Promise<unknown> | unknown) => {
    queue = queue.then(op).catch((err) => logger.error({ err }, "cluster message failed"));
  };

  process.on("message", (m: ToWorker) => {
    if (m === null || typeof m !== "object" || !("lgbm" in m)) return;
    switch (m.lgbm) {
      case "answer": {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.value);
        return;
      }
      case "prepare":
        inOrder(async () => {
          const p = await repo.prepare(m.name);
          prepared.set(m.txn, p);
          send({
            lgbm: "prepared",
            txn: m.txn,
            loaded: p.entries.map((e) => `${e.name}/${e.version}`),
            failed: p.failed,
          });
        });
        return;
      case "settle":
        inOrder(() => {
          const p = prepared.get(m.txn);
          prepared.delete(m.txn);
          if (p) repo.settle(p, new Set(m.commit), m.reasons);
          send({ lgbm: "settled", txn: m.txn });
        });
        return;
      case "unload":
        inOrder(() => send({ lgbm: "unloaded", txn: m.txn, had: repo.unload(m.name) }));
        return;
    }
  });

  let nextId = 0;
  const ask = <T>(m: Ask): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!process.connected) {
        reject(new Error("the primary process is gone"));
        return;
      }
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary process did not answer in ${ANSWER_TIMEOUT_MS / 1000} s`));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      send({ lgbm: "ask", id, ...m });
    });

  return {
    control: {
      load: (name) => ask<LoadOutcome>({ op: "load", name }),
      unload: (name) => ask<boolean>({ op: "unload", name }),
    },
    scrape: () => ask<string>({ op: "metrics" }),
    ready: () => send({ lgbm: "ready" }),
  };
}
