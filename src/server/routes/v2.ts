/**
 * The Open Inference Protocol (KServe V2) over REST, registered under /v2: health, server and model
 * metadata, inference (JSON and Triton's binary tensor data extension), and the model repository
 * extension (index, load, unload). Errors are the protocol's `{ "error": "..." }`, from this plugin's
 * own error and not-found handlers. The inference itself is shared with gRPC (../inference/).
 */
import type { FastifyError, FastifyPluginCallback } from "fastify";
import type { Logger } from "pino";
import { ValidationError } from "../../errors.js";
import { clientMessage, clip, logInternal, noRoute, statusOf } from "../http/errors.js";
import type { ModelControl } from "../inference/control.js";
import { entryOf, infer } from "../inference/infer.js";
import { modelMetadata, serverMetadata } from "../inference/metadata.js";
import { loadModel, repositoryIndex, unloadModel } from "../inference/repository.js";
import { InferenceError } from "../inference/tensors.js";
import type { Predictions } from "../predictions.js";
import type { ModelRepository } from "../registry.js";
import { v2RouteSchemas as S } from "../schemas/v2.js";
import {
  addInferBodyParser,
  binaryOutputs,
  decodeInputs,
  inferReply,
  type V2RequestBody,
} from "./v2-binary.js";

export interface V2RoutesOptions {
  repo: ModelRepository;
  /** Loads and unloads on every process of the server. */
  control: ModelControl;
  predictions: Predictions;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** See ServerConfig.maxResponseBytes and maxWorkMs. */
  maxResponseBytes: number;
  maxWorkMs: number;
}

type P = { Params: { name: string; version?: string } };

export const EXTENSIONS = ["binary_tensor_data", "model_repository"];

export const v2Routes: FastifyPluginCallback<V2RoutesOptions> = (app, opts, done) => {
  const { repo, control, predictions, logger, maxResponseBytes, maxWorkMs } = opts;

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof ValidationError) return reply.code(400).send({ error: clip(err.message) });
    if (err instanceof InferenceError) return reply.code(err.status).send({ error: clip(err.message) });
    const status = statusOf(err);
    if (status < 500) return reply.code(status).send({ error: clientMessage(err) });
    logInternal(logger, req, err);
    return reply.code(500).send({ error: `internal server error (request id ${req.id})` });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: noRoute(req.method, req.url) });
  });
  addInferBodyParser(app);

  app.get("", { schema: S.server }, async () => serverMetadata(EXTENSIONS));
  app.get("/health/live", { schema: S.live }, async () => ({ live: true }));
  app.get("/health/ready", { schema: S.ready }, async (_req, reply) => {
    const ready = repo.ready && !opts.isShuttingDown();
    reply.code(ready ? 200 : 503);
    return { ready };
  });

  for (const version of [false, true]) {
    const base = version ? "/models/:name/versions/:version" : "/models/:name";
    app.get<P>(base, { schema: S.modelMetadata(version) }, async (req) => {
      const entry = entryOf(repo, req.params.name, req.params.version);
      return modelMetadata(entry.name, repo.versions(entry.name), entry.model);
    });
    app.get<P>(`${base}/ready`, { schema: S.modelReady(version) }, async (req) => {
      entryOf(repo, req.params.name, req.params.version);
      return { name: req.params.name, ready: true };
    });
    app.post<P & { Body: V2RequestBody }>(
      `${base}/infer`,
      { schema: S.infer(version) },
      async (req, reply) => {
        const t0 = performance.now();
        const body = req.body;
        const binary = binaryOutputs(body);
        const res = await infer(
          repo,
          req.params.name,
          req.params.version,
          // An empty outputs list means every output, as over gRPC (where it cannot be told from none).
          {
            id: body.id,
            inputs: decodeInputs(body),
            outputs: body.outputs?.length ? body.outputs.map((o) => o.name) : undefined,
          },
          { predictions, requestId: req.id, route: "infer", t0, maxResponseBytes, maxWorkMs, binary },
        );
        return inferReply(reply, res, binary);
      },
    );
  }

  app.post<{ Body: { ready?: boolean } | undefined }>("/repository/index", { schema: S.index }, async (req) =>
    repositoryIndex(repo, req.body?.ready === true),
  );

  app.post<P>("/repository/models/:name/load", { schema: S.load }, async (req) => {
    const { loaded, processes } = await loadModel(control, req.params.name);
    return { name: req.params.name, loaded, processes };
  });

  app.post<P>("/repository/models/:name/unload", { schema: S.unload }, async (req) => {
    await unloadModel(control, req.params.name);
    return { name: req.params.name, unloaded: true };
  });
  done();
};
