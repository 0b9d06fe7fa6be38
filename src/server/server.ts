/**
 * Starting and stopping one server process: logger, metrics, model repository, prediction log, the
 * fastify app; SIGHUP reloads the models (on every worker, through the primary, with --workers),
 * SIGTERM/SIGINT shut down gracefully (stop accepting, finish in-flight requests and write their whole
 * responses, drain micro-batches, flush the logs).
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { DriftRegistry } from "../drift/monitor.js";
import { setLogger } from "../logger.js";
import { type AppDeps, buildApp } from "./app.js";
import { linkWorker, unloadedBeforeStart, workerSlot } from "./cluster-worker.js";
import { ConfigError, type ServerConfig } from "./config.js";
import type { RunningGrpcServer } from "./grpc/server.js";
import { AuthFailures } from "./http/auth-failures.js";
import { drainGracefully } from "./http/drain.js";
import { type LoadOutcome, localControl } from "./inference/control.js";
import { createLogger } from "./log.js";
import { Metrics } from "./metrics.js";
import { PredictionLog } from "./prediction-log.js";
import { Predictions } from "./predictions.js";
import { ModelRepository } from "./registry.js";

export interface RunningServer {
  app: FastifyInstance;
  repo: ModelRepository;
  logger: Logger;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The gRPC port, when --grpc-port is set. */
  grpcPort?: number;
  url: string;
  /** Graceful shutdown; resolves when everything is flushed. */
  close(): Promise<void>;
  /** Reloads every model from disk (what SIGHUP does; on every worker with --workers). */
  reload(): Promise<LoadOutcome>;
}

export interface StartOptions {
  /** Install SIGHUP/SIGTERM/SIGINT handlers (the CLI does; tests embedding the server do not). */
  signals?: boolean;
  /** See AppDeps.headerBlocks (tests). */
  headerBlocks?: boolean;
  /** See AppDeps.checkSerialization (tests). */
  checkSerialization?: boolean;
  /** See AppDeps.onRoute (tests). */
  onRoute?: AppDeps["onRoute"];
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  // Before anything loads or listens: a missing optional gRPC package is a configuration error.
  const grpcModule = config.grpcPort > 0 ? await importGrpc() : undefined;
  // With --workers: this worker's number, 1..N, kept by a worker restarted in its place.
  const workerId = workerSlot();
  const { logger, flush, ready } = createLogger(config, workerId !== undefined ? { worker: workerId } : {});
  setLogger({
    debug: (m) => logger.debug(m),
    info: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    error: (m) => logger.error(m),
  });
  // No worker label: with --workers, GET /metrics aggregates every worker's series (cluster.ts).
  const metrics = new Metrics();
  const repo = new ModelRepository(
    config.modelPath,
    {
      engine: config.engine,
      numThreads: config.numThreads,
      absentFields: config.absentFields,
      batch: {
        enabled: config.microbatch,
        maxBatchSize: config.maxBatchSize,
        maxWaitMs: config.maxWaitMs,
        asyncMinRows: config.asyncMinRows,
        numThreads: config.numThreads,
      },
    },
    logger,
    metrics,
  );
  const link = workerId !== undefined ? linkWorker(repo, metrics.registry, logger) : undefined;
  await repo.loadAll();
  // Unloaded on the whole server before this worker started: not served here either.
  for (const name of workerId !== undefined ? unloadedBeforeStart() : []) repo.unload(name);
  for (const e of repo.entries()) {
    logger.info(
      {
        model: e.name,
        version: e.version,
        engine: e.model.engine.name,
        loadMs: Math.round(e.loadMs),
        sha256: e.sha256,
        // engine calls of this many rows or more run on the thread pool (measured unless configured)
        asyncMinRows: e.batcher.asyncMinRows,
      },
      "model loaded",
    );
  }
  const predictionLog = config.predictionLog
    ? new PredictionLog(
        workerId === undefined ? config.predictionLog : perWorkerFile(config.predictionLog, workerId),
        config.predictionLogMaxBytes,
        config.predictionLogKeep,
      )
    : undefined;
  await predictionLog?.ready();

  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;
  const drift = new DriftRegistry();
  const predictions = new Predictions(drift, predictionLog);
  const authFailures = new AuthFailures(config.authFailLimit);
  const control = link?.control ?? localControl(repo);
  const app = await buildApp({
    config,
    repo,
    metrics,
    logger,
    predictions,
    drift,
    isShuttingDown,
    headerBlocks: options.headerBlocks,
    checkSerialization: options.checkSerialization,
    onRoute: options.onRoute,
    authFailures,
    control,
    scrape: link?.scrape,
  });
  const closeIdle = drainGracefully(app.server);
  await app.listen({ host: config.host, port: config.port });
  let grpc: RunningGrpcServer | undefined;
  if (grpcModule) {
    try {
      grpc = await grpcModule.startGrpcServer({
        config,
        repo,
        control,
        authFailures,
        metrics,
        logger,
        predictions,
        isShuttingDown,
      });
    } catch (err) {
      await app.close();
      await repo.close();
      throw err;
    }
  }
  link?.ready();
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  logger.info(
    {
      host: config.host,
      port,
      ...(grpc ? { grpcPort: grpc.port } : {}),
      profile: config.profile,
      microbatch: config.microbatch,
      auth: config.authRequired,
    },
    "server listening",
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shuttingDown = true;
      logger.info("shutting down: finishing in-flight requests");
      const timer = setTimeout(() => {
        logger.error(`in-flight requests still running after ${config.shutdownTimeoutMs} ms; closing anyway`);
        app.server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      timer.unref();
      // Keep-alive connections are closed as they idle: once their response is wholly written (drain.ts).
      const idle = setInterval(closeIdle, 25);
      idle.unref();
      try {
        await Promise.all([app.close(), grpc?.close()]);
        await repo.close();
      } finally {
        clearTimeout(timer);
        clearInterval(idle);
        await predictionLog?.close();
        logger.info("shutdown complete");
        await ready();
        flush();
      }
    })();
    return closing;
  };

  const reload = async (): Promise<LoadOutcome> => {
    logger.info("reloading models");
    try {
      return await control.load(undefined);
    } catch (err) {
      logger.error({ err }, "model reload failed");
      throw err;
    }
  };

  if (options.signals) {
    process.on("SIGHUP", () => {
      reload().catch(() => undefined); // logged
    });
    const onStop = (signal: string) => {
      logger.info({ signal }, "signal received");
      close().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, "shutdown failed");
          flush();
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", () => onStop("SIGTERM"));
    process.once("SIGINT", () => onStop("SIGINT"));
    process.on("uncaughtException", (err) => {
      logger.fatal({ err }, "uncaught exception");
      flush();
      process.exit(1);
    });
  }

  return {
    app,
    repo,
    logger,
    port,
    grpcPort: grpc?.port,
    url: `http://${config.host}:${port}`,
    close,
    reload,
  };
}

/**
 * With --workers, each worker appends (and rotates) its own prediction log, named by its number 1..N
 * (a restarted worker continues its predecessor's file): predictions.jsonl → predictions.worker-1.jsonl.
 * `lgbm drift --log 'predictions*.jsonl*'` reads them all, rotated files included.
 */
export function perWorkerFile(file: string, workerId: number): string {
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(file);
  return `${m?.[1] ?? file}.worker-${workerId}${m?.[2] ?? ""}`;
}

/** The gRPC packages in this package's pinned ranges (optional peers: only `--grpc-port` needs them). */
export const GRPC_PACKAGES = "@grpc/grpc-js@^1.14.7 @grpc/proto-loader@^0.8.1";

/**
 * The gRPC server module, loaded only when `--grpc-port` asks for it: @grpc/grpc-js and
 * @grpc/proto-loader are optional peer dependencies (about 6 MB), so a REST-only install stays lean.
 */
export async function importGrpc(): Promise<typeof import("./grpc/server.js")> {
  try {
    return await import("./grpc/server.js");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const missing = /@grpc\/(grpc-js|proto-loader)/.exec((err as Error).message ?? "");
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && missing) {
      throw new ConfigError(
        `--grpc-port needs the optional packages @grpc/grpc-js and @grpc/proto-loader (${missing[0]} is not installed): npm install ${GRPC_PACKAGES}`,
      );
    }
    throw err;
  }
}
