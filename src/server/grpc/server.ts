/**
 * The Open Inference Protocol over gRPC (inference.GRPCInferenceService, @grpc/grpc-js) on its own port
 * (`--grpc-port`; KServe's convention is 8081, Triton's 8001). It shares everything with the REST
 * server: the models and their micro-batchers, the API keys (`authorization: Bearer <key>` metadata),
 * the metrics registry (lgbm_grpc_requests_total, lgbm_grpc_request_duration_seconds), the prediction
 * log and drift (Predictions). Errors are gRPC status codes with messages: INVALID_ARGUMENT naming the
 * input, NOT_FOUND, UNAUTHENTICATED, INTERNAL with the request id that is on the log line.
 */
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ValidationError } from "../../errors.js";
import type { ServerConfig } from "../config.js";
import type { HistogramChild } from "../fast-metrics.js";
import { ApiKeys } from "../http/api-keys.js";
import { UNAUTHORIZED } from "../http/auth.js";
import { requestIdOf } from "../http/request-id.js";
import { entryOf, infer } from "../inference/infer.js";
import { modelMetadata, serverMetadata } from "../inference/metadata.js";
import { LoadError, loadModel, repositoryIndex } from "../inference/repository.js";
import { InferenceError } from "../inference/tensors.js";
import type { Metrics } from "../metrics.js";
import type { Predictions } from "../predictions.js";
import type { ModelRepository } from "../registry.js";
import { type Contents, decodeInputs, toContents, toRaw, type WireInput } from "./contents.js";
import { inferenceService } from "./proto.js";

export interface GrpcDeps {
  config: ServerConfig;
  repo: ModelRepository;
  metrics: Metrics;
  logger: Logger;
  predictions: Predictions;
  isShuttingDown: () => boolean;
}

export interface RunningGrpcServer {
  port: number;
  /** Stops taking calls, lets the running ones finish (up to the shutdown timeout), then closes. */
  close(): Promise<void>;
}

/** The gRPC extensions of the server metadata (binary tensor data is REST's; gRPC has raw contents). */
export const GRPC_EXTENSIONS = ["model_repository"];

/** Calls that need no API key, as REST's health probes. */
const PUBLIC = new Set(["ServerLive", "ServerReady"]);

class CallError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

interface CallContext {
  requestId: string;
  t0: number;
}

type Handler = (request: Record<string, unknown>, ctx: CallContext) => unknown;

interface InferRequestMessage {
  model_name?: string;
  model_version?: string;
  id?: string;
  inputs: WireInput[];
  outputs: { name?: string }[];
  raw_input_contents: Buffer[];
}

export async function startGrpcServer(deps: GrpcDeps): Promise<RunningGrpcServer> {
  const { config, repo, metrics, logger, predictions } = deps;
  const keys = new ApiKeys(config.apiKeys);
  const { service } = inferenceService();
  const server = new grpc.Server({
    // The same limit as REST bodies: no message may make work far larger than itself.
    "grpc.max_receive_message_length": config.bodyLimit,
  });

  /** One RPC: API key, request id, metrics, and errors as status codes. */
  const unary = (
    method: string,
    handler: Handler,
  ): grpc.handleUnaryCall<Record<string, unknown>, unknown> => {
    const series = new Map<grpc.status, { count: { inc(): void }; latency: HistogramChild }>();
    const record = (code: grpc.status, t0: number) => {
      let s = series.get(code);
      if (!s) {
        const name = grpc.status[code] ?? String(code);
        s = {
          count: metrics.grpcRequests.child(method, name),
          latency: metrics.grpcLatency.child(method, name),
        };
        series.set(code, s);
      }
      s.count.inc();
      s.latency.observe((performance.now() - t0) / 1000);
    };
    return (call, callback) => {
      const t0 = performance.now();
      const requestId = requestIdOf(call.metadata.get("x-request-id")[0]);
      const trailer = new grpc.Metadata();
      trailer.set("x-request-id", requestId);
      const fail = (err: unknown) => {
        const { code, message } = statusOf(err, requestId);
        if (code === grpc.status.INTERNAL) logger.error({ reqId: requestId, err, method }, "internal error");
        record(code, t0);
        callback({ code, details: message, metadata: trailer });
      };
      if (keys.enabled && !PUBLIC.has(method)) {
        const auth = call.metadata.get("authorization")[0];
        if (typeof auth !== "string" || !keys.check(auth)) {
          fail(
            new CallError(
              grpc.status.UNAUTHENTICATED,
              UNAUTHORIZED.replace("send Authorization", "send authorization metadata"),
            ),
          );
          return;
        }
      }
      let result: unknown;
      try {
        result = handler(call.request, { requestId, t0 });
      } catch (err) {
        fail(err);
        return;
      }
      Promise.resolve(result).then((value) => {
        record(grpc.status.OK, t0);
        callback(null, value, trailer);
      }, fail);
    };
  };

  const model = (name: unknown, version: unknown) => {
    if (typeof name !== "string" || name === "")
      throw new CallError(grpc.status.INVALID_ARGUMENT, "name must be a model's name");
    return entryOf(repo, name, typeof version === "string" && version !== "" ? version : undefined);
  };

  const handlers: Record<string, Handler> = {
    ServerLive: () => ({ live: true }),
    ServerReady: () => ({ ready: repo.ready && !deps.isShuttingDown() }),
    ModelReady: (req) => {
      const v = req.version;
      return {
        ready:
          typeof req.name === "string" &&
          repo.get(req.name, typeof v === "string" && v !== "" ? v : undefined) !== undefined,
      };
    },
    ServerMetadata: () => serverMetadata(GRPC_EXTENSIONS),
    ModelMetadata: (req) => {
      const entry = model(req.name, req.version);
      return modelMetadata(entry.name, repo.versions(entry.name), entry.model);
    },
    ModelInfer: async (message, ctx) => {
      const req = message as unknown as InferRequestMessage;
      const raw = req.raw_input_contents ?? [];
      const name = req.model_name ?? "";
      if (name === "") throw new CallError(grpc.status.INVALID_ARGUMENT, "model_name must be a model's name");
      const res = await infer(
        repo,
        name,
        req.model_version ? req.model_version : undefined,
        {
          id: req.id,
          inputs: decodeInputs(req.inputs ?? [], raw),
          outputs: req.outputs?.length ? req.outputs.map((o) => o.name ?? "") : undefined,
        },
        { predictions, requestId: ctx.requestId, route: "grpc_infer", t0: ctx.t0 },
      );
      // Raw contents answer raw contents (as tritonclient expects); typed contents answer typed contents.
      const useRaw = raw.length > 0;
      return {
        model_name: res.model_name,
        model_version: res.model_version,
        id: res.id ?? "",
        outputs: res.outputs.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          shape: t.shape,
          ...(useRaw ? {} : { contents: toContents(t) as Contents }),
        })),
        raw_output_contents: useRaw ? res.outputs.map(toRaw) : [],
      };
    },
    RepositoryIndex: (req) => ({ models: repositoryIndex(repo, req.ready === true) }),
    RepositoryModelLoad: async (req) => {
      await loadModel(repo, repositoryModelName(req));
      return {};
    },
    RepositoryModelUnload: (req) => {
      const name = repositoryModelName(req);
      if (!repo.unload(name))
        throw new CallError(grpc.status.NOT_FOUND, `model ${JSON.stringify(name)} is not loaded`);
      return {};
    },
  };

  server.addService(
    service,
    Object.fromEntries(Object.entries(handlers).map(([method, h]) => [method, unary(method, h)])),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    server.bindAsync(`${host}:${config.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, config.shutdownTimeoutMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}

/**
 * The model a repository request names: Triton's messages carry it in model_name (field 2); KServe's own
 * grpc_predict_v2.proto puts it in field 1, which Triton's layout reads as repository_name: with a single
 * repository, a lone field-1 name is taken as the model's.
 */
function repositoryModelName(req: Record<string, unknown>): string {
  const name = req.model_name || req.repository_name;
  if (typeof name !== "string" || name === "")
    throw new CallError(grpc.status.INVALID_ARGUMENT, "model_name must be a model's name");
  return name;
}

function statusOf(err: unknown, requestId: string): { code: grpc.status; message: string } {
  if (err instanceof CallError) return { code: err.code, message: err.message };
  if (err instanceof LoadError) {
    return {
      code: err.unknown ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION,
      message: err.message,
    };
  }
  if (err instanceof InferenceError) {
    return {
      code: err.status === 404 ? grpc.status.NOT_FOUND : grpc.status.INVALID_ARGUMENT,
      message: err.message,
    };
  }
  if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, message: err.message };
  return { code: grpc.status.INTERNAL, message: `internal error (request id ${requestId})` };
}
