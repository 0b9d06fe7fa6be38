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
import { type AuthFailures, lockedOutMessage } from "../http/auth-failures.js";
import { clip } from "../http/errors.js";
import { requestIdOf } from "../http/request-id.js";
import type { ModelControl } from "../inference/control.js";
import { entryOf, infer } from "../inference/infer.js";
import { modelMetadata, serverMetadata } from "../inference/metadata.js";
import { LoadError, loadModel, repositoryIndex, unloadModel } from "../inference/repository.js";
import { InferenceError } from "../inference/tensors.js";
import type { Metrics } from "../metrics.js";
import type { Predictions } from "../predictions.js";
import type { ModelRepository } from "../registry.js";
import { ResponseTooLargeError } from "../response-budget.js";
import { TooMuchWorkError } from "../work-budget.js";
import { type Contents, decodeInputs, toContents, toRaw, type WireInput } from "./contents.js";
import { inferenceService } from "./proto.js";

export interface GrpcDeps {
  config: ServerConfig;
  repo: ModelRepository;
  /** Loads and unloads on every process of the server (shared with REST). */
  control: ModelControl;
  /** Failed API-key attempts per client IP (shared with REST). */
  authFailures: AuthFailures;
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

/** A request message that did not decode: the handler answers INVALID_ARGUMENT instead of grpc-js's INTERNAL. */
const UNDECODABLE = Symbol("lightgbm-node.undecodable");
type Undecodable = { [UNDECODABLE]: string };

/**
 * The service with deserializers that never throw: bytes that are not the method's message (or nest
 * groups deeper than protobufjs's reader can follow) become a marker the call answers with
 * INVALID_ARGUMENT, as REST answers malformed JSON with 400.
 */
function tolerantService(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([method, def]) => [
      method,
      {
        ...def,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return def.requestDeserialize(bytes);
          } catch (err) {
            return { [UNDECODABLE]: clip((err as Error).message ?? String(err), 200) } as Undecodable;
          }
        },
      },
    ]),
  ) as grpc.ServiceDefinition;
}

/** "ipv4:127.0.0.1:5000" → "127.0.0.1" (what REST's req.ip is for the same client). */
function peerAddress(peer: string): string {
  const m = /^(?:ipv4:|ipv6:)?\[?(.*?)\]?:\d+$/.exec(peer);
  return m ? m[1] : peer;
}

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
  const { config, repo, metrics, logger, predictions, control, authFailures } = deps;
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
        const client = peerAddress(call.getPeer());
        const locked = authFailures.anyRecent ? authFailures.lockedFor(client) : 0;
        if (locked > 0) {
          fail(new CallError(grpc.status.RESOURCE_EXHAUSTED, lockedOutMessage(authFailures.max, locked)));
          return;
        }
        const auth = call.metadata.get("authorization")[0];
        if (typeof auth !== "string" || !keys.check(auth)) {
          authFailures.fail(client);
          fail(
            new CallError(
              grpc.status.UNAUTHENTICATED,
              UNAUTHORIZED.replace("send Authorization", "send authorization metadata"),
            ),
          );
          return;
        }
      }
      const request = call.request as Record<string | symbol, unknown>;
      if (UNDECODABLE in request) {
        fail(
          new CallError(
            grpc.status.INVALID_ARGUMENT,
            `the request is not a ${method}Request message: ${request[UNDECODABLE]}`,
          ),
        );
        return;
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
    // As REST's /v2/models/{name}/ready: a model that is not loaded is NOT_FOUND, not `ready: false`.
    ModelReady: (req) => {
      model(req.name, req.version);
      return { ready: true };
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
        {
          predictions,
          requestId: ctx.requestId,
          route: "grpc_infer",
          t0: ctx.t0,
          maxResponseBytes: config.maxResponseBytes,
          maxWorkMs: config.maxWorkMs,
          // Typed contents and raw bytes both take about an element's size a value.
          binary: () => true,
        },
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
      await loadModel(control, repositoryModelName(req));
      return {};
    },
    RepositoryModelUnload: async (req) => {
      await unloadModel(control, repositoryModelName(req));
      return {};
    },
  };

  server.addService(
    tolerantService(service),
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
  if (err instanceof ResponseTooLargeError || err instanceof TooMuchWorkError)
    return { code: grpc.status.RESOURCE_EXHAUSTED, message: err.message };
  if (err instanceof InferenceError) {
    return {
      code: err.status === 404 ? grpc.status.NOT_FOUND : grpc.status.INVALID_ARGUMENT,
      message: clip(err.message),
    };
  }
  if (err instanceof ValidationError)
    return { code: grpc.status.INVALID_ARGUMENT, message: clip(err.message) };
  return { code: grpc.status.INTERNAL, message: `internal error (request id ${requestId})` };
}
