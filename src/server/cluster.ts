/**
 * `--workers N`: N server processes on one port (node:cluster; the primary accepts and hands
 * connections to workers round-robin). The primary also keeps the workers one server:
 *
 * - A worker that dies is restarted in its place (same number 1..N, so its prediction log keeps its
 *   name), with a back-off when it keeps dying at start-up.
 * - Loads and unloads (the repository extension from any worker, SIGHUP to the primary or a worker) run
 *   on every worker: each loads the new files first, and they are installed only where every worker
 *   loaded them, so the workers never serve different models (cluster-worker.ts has the worker's side).
 *   A worker started later reads the files itself, and does not serve a model unloaded before it started;
 *   once a restarted worker serves, every worker reloads from the files, so that a file changed on disk
 *   without a reload cannot leave the restarted worker on a different model than the others.
 * - GET /metrics on any worker answers for the whole server: prom-client's AggregatorRegistry collects
 *   every worker's registry (counters and histograms summed, gauges as each declares), plus the
 *   primary's own (lgbm_cluster_workers, lgbm_cluster_worker_restarts_total).
 * - SIGTERM/SIGINT stop the workers gracefully.
 */
import cluster, { type Worker } from "node:cluster";
import client, { AggregatorRegistry } from "prom-client";
import type { ToPrimary, ToWorker } from "./cluster-worker.js";
import type { ServerConfig } from "./config.js";
import { describeFailures, type LoadOutcome } from "./inference/control.js";
import { createLogger } from "./log.js";

/** Longest wait for a worker to load a model (prepare) or install it (settle). */
const RELOAD_TIMEOUT_MS = 120_000;

type Reply = Extract<ToPrimary, { txn: number }>;

export async function runPrimary(config: ServerConfig): Promise<void> {
  const { logger, flush } = createLogger(config, { role: "primary" });
  // Round-robin on every platform (the default on Linux; Windows would use the OS otherwise).
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let stopping = false;
  const startedAt = new Map<number, number>();
  const slots = new Map<number, number>();
  let quickDeaths = 0;
  /** Models unloaded on the whole server: a worker started later must not serve them. */
  const unloaded = new Set<string>();

  const registry = new client.Registry();
  new client.Gauge({
    name: "lgbm_cluster_workers",
    help: "Worker processes running (--workers)",
    registers: [registry],
    collect() {
      this.set(live().length);
    },
  });
  const restarts = new client.Counter({
    name: "lgbm_cluster_worker_restarts_total",
    help: "Workers restarted after they died",
    registers: [registry],
  });
  const aggregator = new AggregatorRegistry();

  /** Workers forked after one died: when serving, the others reload so that all read the same files. */
  const restarted = new Set<number>();
  const fork = (slot: number): Worker => {
    const w = cluster.fork({
      LGBM_WORKER_SLOT: String(slot),
      LGBM_UNLOADED_MODELS: JSON.stringify([...unloaded]),
    });
    startedAt.set(w.id, Date.now());
    slots.set(w.id, slot);
    return w;
  };
  /** Workers serving (they said so once their models loaded): the ones a load or unload runs on. */
  const serving = new Set<number>();
  const live = () =>
    Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w !== undefined && w.isConnected() && serving.has(w.id),
    );
  const slotOf = (w: Worker) => slots.get(w.id) ?? w.id;

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    const slot = slotOf(worker);
    startedAt.delete(worker.id);
    slots.delete(worker.id);
    serving.delete(worker.id);
    if (stopping) return;
    quickDeaths = lived < 5000 ? quickDeaths + 1 : 0;
    const delay = Math.min(30_000, quickDeaths > 1 ? 250 * 2 ** (quickDeaths - 1) : 0);
    logger.error(
      { worker: slot, workerPid: worker.process.pid, code, signal, restartInMs: delay },
      "worker died; restarting",
    );
    restarts.inc();
    setTimeout(() => {
      if (!stopping) restarted.add(fork(slot).id);
    }, delay);
  });
  cluster.on("online", (w) => logger.info({ worker: slotOf(w), workerPid: w.process.pid }, "worker online"));

  // Replies to the primary's own requests (prepare, settle, unload), per transaction and worker.
  const waiting = new Map<string, (reply: Reply | "died" | "timeout") => void>();
  const request = (w: Worker, m: ToWorker & { txn: number }): Promise<Reply | "died" | "timeout"> =>
    new Promise((resolve) => {
      const key = `${m.txn}/${w.id}`;
      const finish = (r: Reply | "died" | "timeout") => {
        waiting.delete(key);
        clearTimeout(timer);
        w.off("exit", died);
        resolve(r);
      };
      const died = () => finish("died");
      const timer = setTimeout(() => finish("timeout"), RELOAD_TIMEOUT_MS);
      w.once("exit", died);
      waiting.set(key, finish);
      w.send(m);
    });

  let txnSeq = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Loads on every worker, installs where all of them loaded. */
  const load = (name: string | undefined): Promise<LoadOutcome> =>
    serial(async () => {
      const txn = ++txnSeq;
      const workers = live();
      const answers = await Promise.all(workers.map((w) => request(w, { lgbm: "prepare", txn, name })));
      const failed: LoadOutcome["failed"] = [];
      const loadedBy = new Map<string, number[]>();
      let answered = 0;
      let silent = false;
      answers.forEach((a, i) => {
        const worker = slotOf(workers[i]);
        if (a === "died") return; // restarted, it reads the files itself
        if (a === "timeout") {
          silent = true;
          failed.push({ model: name ?? "*", error: "did not load in time", worker });
          return;
        }
        if (a.lgbm !== "prepared") return;
        answered++;
        for (const l of a.loaded) loadedBy.set(l, [...(loadedBy.get(l) ?? []), worker]);
        for (const f of a.failed) failed.push({ ...f, worker });
      });
      const commit = silent ? [] : [...loadedBy].filter(([, ws]) => ws.length === answered).map(([l]) => l);
      const reasons: Record<string, string> = {};
      for (const [label] of loadedBy) {
        if (commit.includes(label)) continue;
        const elsewhere = failed.filter((f) => f.model === label || f.model === "*");
        reasons[label] =
          elsewhere.length > 0
            ? `not loaded on every worker: ${elsewhere.map((f) => `worker ${f.worker}: ${f.error}`).join("; ")}`
            : "not loaded on every worker";
      }
      await Promise.all(live().map((w) => request(w, { lgbm: "settle", txn, commit, reasons })));
      for (const label of commit) unloaded.delete(label.slice(0, label.lastIndexOf("/")));
      const outcome = { loaded: commit, failed, processes: workers.length };
      if (failed.length > 0) {
        logger.error({ model: name ?? "*", err: describeFailures(outcome) }, "reload failed on some workers");
      } else {
        logger.info(
          { model: name ?? "*", loaded: commit, workers: workers.length },
          "reloaded on every worker",
        );
      }
      return outcome;
    });

  const unload = (name: string): Promise<boolean> =>
    serial(async () => {
      const txn = ++txnSeq;
      const answers = await Promise.all(live().map((w) => request(w, { lgbm: "unload", txn, name })));
      unloaded.add(name);
      return answers.some((a) => typeof a === "object" && a.lgbm === "unloaded" && a.had);
    });

  const metrics = async (): Promise<string> =>
    (await aggregator.clusterMetrics()) + (await registry.metrics());

  cluster.on("message", (worker: Worker, m: ToPrimary) => {
    if (m === null || typeof m !== "object" || !("lgbm" in m)) return;
    if (m.lgbm === "ready") {
      serving.add(worker.id);
      if (restarted.delete(worker.id) && live().length > 1) {
        // It read the files as they are now, which may differ from what the others loaded (changed on
        // disk without a reload): every worker reloads them, as on SIGHUP, and they agree again.
        logger.info({ worker: slotOf(worker) }, "worker restarted: reloading every worker from the files");
        void load(undefined);
      }
      return;
    }
    if (m.lgbm !== "ask") {
      waiting.get(`${m.txn}/${worker.id}`)?.(m);
      return;
    }
    const answer = (value: unknown) => {
      if (worker.isConnected()) worker.send({ lgbm: "answer", id: m.id, value } satisfies ToWorker);
    };
    const refuse = (err: unknown) => {
      if (worker.isConnected())
        worker.send({ lgbm: "answer", id: m.id, error: (err as Error).message } satisfies ToWorker);
    };
    const op = m.op === "load" ? load(m.name) : m.op === "unload" ? unload(m.name) : metrics();
    op.then(answer, refuse);
  });

  for (let slot = 1; slot <= config.workers; slot++) fork(slot);

  process.on("SIGHUP", () => {
    logger.info("SIGHUP: reloading models in every worker");
    void load(undefined);
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping workers");
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    let left = workers.length;
    const done = () => {
      logger.info("all workers stopped");
      flush();
      process.exit(0);
    };
    if (left === 0) done();
    for (const w of workers) {
      w.once("exit", () => {
        if (--left === 0) done();
      });
      w.process.kill("SIGTERM");
    }
    setTimeout(() => {
      logger.error("workers did not stop in time; exiting");
      flush();
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  await new Promise<void>(() => {
    // The primary runs until a signal.
  });
}
