/**
 * Loading and unloading models on the whole server: what the repository extension (REST and gRPC) and
 * SIGHUP ask for. One process does it on its own repository; with `--workers N` the primary process runs
 * it on every worker (cluster.ts), so every worker serves the same models afterwards.
 */
import type { LoadFailure, ModelRepository } from "../registry.js";

export interface LoadOutcome {
  /** name/version of each bundle now serving its new files (on every worker). */
  loaded: string[];
  /** What did not load, and where: `worker` is the worker's number (1..N) with --workers. */
  failed: (LoadFailure & { worker?: number })[];
  /** Processes that took part (1 without --workers). */
  processes: number;
}

export interface ModelControl {
  /** Loads (or reloads) every version of one model from disk; undefined: every model. */
  load(name: string | undefined): Promise<LoadOutcome>;
  /** Stops serving a model everywhere; false when no process had it loaded. */
  unload(name: string): Promise<boolean>;
}

/** A one-process server: its own repository; one operation at a time. */
export function localControl(repo: ModelRepository): ModelControl {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    load: (name) =>
      serial(async () => {
        const { loaded, failed } = await repo.reload(name);
        return { loaded, failed, processes: 1 };
      }),
    unload: (name) => serial(async () => repo.unload(name)),
  };
}

/** One line for an outcome's failures, each bundle's error once with the workers it failed on. */
export function describeFailures(outcome: LoadOutcome): string {
  const byText = new Map<string, number[]>();
  for (const f of outcome.failed) {
    const key = `${f.model}: ${f.error}`;
    const workers = byText.get(key) ?? [];
    if (f.worker !== undefined) workers.push(f.worker);
    byText.set(key, workers);
  }
  return [...byText]
    .map(([text, workers]) =>
      workers.length === 0
        ? text
        : `${text} (worker${workers.length > 1 ? "s" : ""} ${workers.join(", ")} of ${outcome.processes})`,
    )
    .join("; ");
}
