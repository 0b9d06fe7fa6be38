/** `lgbm serve`: the production model server (src/server/). Flags override LGBM_* environment variables. */
import cluster from "node:cluster";
import type { Command } from "commander";
import { runPrimary } from "../server/cluster.js";
import { resolveConfig, type ServeFlags } from "../server/config.js";
import { importGrpc, startServer } from "../server/server.js";

export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve a model bundle (or a folder of bundles) over HTTP (/predict, KServe V2, docs, metrics) and gRPC",
    )
    .argument("<path>", "bundle folder (model.txt + spec.json), model.txt, or a repository of bundles")
    .option("-p, --port <port>", "port (LGBM_PORT; default 8000; 0 picks a free one)")
    .option(
      "-H, --host <host>",
      "interface to listen on (LGBM_HOST; default 127.0.0.1; 0.0.0.0 in containers)",
    )
    .option(
      "--grpc-port <port>",
      "also serve the Open Inference Protocol over gRPC on this port (LGBM_GRPC_PORT; default 0: off; KServe uses 8081, Triton 8001)",
    )
    .option("-w, --workers <n>", "server processes sharing the port (LGBM_WORKERS; default 1)")
    .option("--profile <name>", "development | test | acceptance | production (LGBM_PROFILE)")
    .option("-e, --engine <engine>", "auto | native | wasm | js (LGBM_ENGINE)")
    .option("--log-level <level>", "trace | debug | info | warn | error | fatal | silent (LGBM_LOG_LEVEL)")
    .option("--log-format <format>", "json | pretty (LGBM_LOG_FORMAT)")
    .option("--log-file <file>", "also append the server log as JSON lines to this file (LGBM_LOG_FILE)")
    .option("--log-requests", "log every request (LGBM_LOG_REQUESTS)")
    .option("--no-log-requests", "do not log every request")
    .option("--prediction-log <file>", "append every prediction as a JSON line (LGBM_PREDICTION_LOG)")
    .option("--prediction-log-max-bytes <size>", "rotate the prediction log at this size (default 100mb)")
    .option("--prediction-log-keep <n>", "rotated prediction logs kept (default 5)")
    .option("--docs", "serve /docs, /redoc and /openapi.json (LGBM_DOCS)")
    .option("--no-docs", "do not serve the API docs")
    .option("--api-keys-file <file>", "API keys, one a line (also LGBM_API_KEYS=k1,k2)")
    .option("--rate-limit <n>", "requests per minute per API key or IP; 0 = off (LGBM_RATE_LIMIT)")
    .option("--body-limit <size>", "largest request body (LGBM_BODY_LIMIT; default 1mb)")
    .option(
      "--max-response-bytes <size>",
      "largest response a request may make, estimated before predicting (LGBM_MAX_RESPONSE_BYTES; default 32mb)",
    )
    .option(
      "--max-work-ms <ms>",
      "longest engine time of a request's V2 leaf/contrib outputs, estimated before predicting (LGBM_MAX_WORK_MS; default 2000)",
    )
    .option(
      "--auth-fail-limit <n>",
      "failed API keys a minute from one client address before it is locked out for the minute; 0 = off (LGBM_AUTH_FAIL_LIMIT; default 10)",
    )
    .option(
      "--trust-proxy <value>",
      "whose X-Forwarded-For names the client: true, a hop count, or addresses/CIDRs (LGBM_TRUST_PROXY; default false)",
    )
    .option("--microbatch", "batch concurrent requests into one native call (default on; LGBM_MICROBATCH)")
    .option("--no-microbatch", "one native call per request")
    .option("--max-batch-size <n>", "rows per micro-batch (LGBM_MAX_BATCH_SIZE; default 256)")
    .option("--max-wait-ms <ms>", "extra wait to fill a micro-batch (LGBM_MAX_WAIT_MS; default 0)")
    .option(
      "--async-min-rows <n>",
      "engine calls with at least this many rows run off the event loop (default 64)",
    )
    .option("--num-threads <n>", "threads per native batch call (LGBM_NUM_THREADS; default 1)")
    .option(
      "--absent-fields <mode>",
      "fields absent from a record: error (422) | missing (LGBM_ABSENT_FIELDS; default: the spec's, error for a bare model.txt and lgbm bundle)",
    )
    .option("--shutdown-timeout-ms <ms>", "longest wait for in-flight requests at shutdown (default 10000)")
    .action(
      async (
        path: string,
        flags: ServeFlags & { logRequests?: boolean; docs?: boolean; microbatch?: boolean },
      ) => {
        // commander sets negatable booleans to true by default: only pass them when given explicitly.
        const explicit = (name: string) =>
          process.argv.some((a) => a === `--${name}` || a === `--no-${name}`);
        const config = resolveConfig(path, {
          ...flags,
          logRequests: explicit("log-requests") ? flags.logRequests : undefined,
          docs: explicit("docs") ? flags.docs : undefined,
          microbatch: explicit("microbatch") ? flags.microbatch : undefined,
        });
        if (config.workers > 1 && cluster.isPrimary) {
          // Checked once here: workers that cannot start would only be restarted with a back-off.
          if (config.grpcPort > 0) await importGrpc();
          await runPrimary(config);
          return;
        }
        if (cluster.isWorker) {
          // A worker that cannot start (a model that does not load) exits, so the primary restarts it
          // with a back-off: its IPC channel would otherwise keep it alive, serving nothing.
          await startServer(config, { signals: true }).catch((err) => {
            process.stderr.write(`lgbm: ${(err as Error).name}: ${(err as Error).message}\n`);
            try {
              process.exit(1);
            } catch {
              // an exit handler threw: leave the cluster, and the process ends with nothing left to do
              process.exitCode = 1;
              process.disconnect?.();
            }
          });
          return;
        }
        await startServer(config, { signals: true });
      },
    );
}
