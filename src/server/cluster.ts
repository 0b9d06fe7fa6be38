/**
 * `--workers N`: N server processes on one port (node:cluster; the primary accepts and hands
 * connections to workers round-robin). A worker that dies is restarted (with a back-off when it keeps
 * dying at start-up); SIGHUP is forwarded to every worker; SIGTERM/SIGINT stop the workers gracefully.
 */
import cluster, { type Worker } from "node:cluster";
import type { ServerConfig } from "./config.js";
import { createLogger } from "./log.js";

export async function runPrimary(config: ServerConfig): Promise<void> {
  const { logger, flush } = createLogger(config, { role: "primary" });
  // Round-robin on every platform (the default on Linux; Windows would use the OS otherwise).
  cluster.schedulingPolicy = cluster.SCHED_RR;
  let stopping = false;
  const startedAt = new Map<number, number>();
  let quickDeaths = 0;

  const fork = (): Worker => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    return w;
  };

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) return;
    quickDeaths = lived < 5000 ? quickDeaths + 1 : 0;
    const delay = Math.min(30_000, quickDeaths > 1 ? 250 * 2 ** (quickDeaths - 1) : 0);
    logger.error(
      { worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delay },
      "worker died; restarting",
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });
  cluster.on("online", (w) => logger.info({ worker: w.id, workerPid: w.process.pid }, "worker online"));

  for (let i = 0; i < config.workers; i++) fork();

  process.on("SIGHUP", () => {
    logger.info("SIGHUP: reloading models in every worker");
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGHUP");
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
