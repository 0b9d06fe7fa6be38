/**
 * The fastify application: plugins with one concern each, assembled here in the order they must run.
 * Cross-cutting concerns are in http/, routes in routes/, their schemas in schemas/; the models and
 * what happens after a prediction are shared with the gRPC server (server.ts).
 */
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, LogController, type RouteOptions } from "fastify";
import type { Logger } from "pino";
import { driftPlugin } from "../drift/fastify-plugin.js";
import type { DriftRegistry } from "../drift/monitor.js";
import type { ServerConfig } from "./config.js";
import { ApiKeys } from "./http/api-keys.js";
import { apiKeyAuth } from "./http/auth.js";
import { AuthFailures } from "./http/auth-failures.js";
import { checkSerialization } from "./http/check-serialization.js";
import { clientErrorHandler, frameworkErrors } from "./http/client-errors.js";
import { classicErrors } from "./http/errors.js";
import { jsonBody } from "./http/json-body.js";
import { requestRateLimit } from "./http/rate-limit.js";
import { requestIdGenerator } from "./http/request-id.js";
import { requestMetrics } from "./http/request-metrics.js";
import { securityHeaders } from "./http/security-headers.js";
import { localControl, type ModelControl } from "./inference/control.js";
import { SERVER_NAME, SERVER_VERSION } from "./inference/metadata.js";
import type { Metrics } from "./metrics.js";
import type { Predictions } from "./predictions.js";
import type { ModelRepository } from "./registry.js";
import { docsRoutes, openApiOptions } from "./routes/docs.js";
import { opsRoutes } from "./routes/ops.js";
import { pageRoutes } from "./routes/page.js";
import { predictRoutes } from "./routes/predict.js";
import { v2Routes } from "./routes/v2.js";
import { sharedSchemas } from "./schemas/index.js";
import { modelDoc, modelSchemas, registerModelSchemas } from "./schemas/predict.js";

export { SERVER_NAME, SERVER_VERSION };

export interface AppDeps {
  config: ServerConfig;
  repo: ModelRepository;
  metrics: Metrics;
  logger: Logger;
  /** Counts, drift and the prediction log after every prediction (shared with gRPC). */
  predictions: Predictions;
  /** The drift monitors GET /drift reports (fed by `predictions`). */
  drift: DriftRegistry;
  /** Set when the server is shutting down: readiness turns false. */
  isShuttingDown?: () => boolean;
  /**
   * Write the fixed headers as pre-validated blocks (default true where Node.js allows it; see
   * http/response-headers.ts). false sets them through fastify: the tests check both ways.
   */
  headerBlocks?: boolean;
  /** Tests: every schema-serialized response is checked against JSON.stringify's (check-serialization.ts). */
  checkSerialization?: boolean;
  /** Tests: called with every route added (to compare with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
  /** Failed API-key attempts per client (shared with gRPC; made from the config when not given). */
  authFailures?: AuthFailures;
  /** Loads and unloads models on every process of the server (the repository extension). */
  control?: ModelControl;
  /** The text of GET /metrics (the whole server's, with --workers; this process's registry otherwise). */
  scrape?: () => Promise<string>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, repo, metrics, logger, predictions } = deps;
  const isShuttingDown = deps.isShuttingDown ?? (() => false);
  const keys = new ApiKeys(config.apiKeys);
  const headers = securityHeaders(deps.headerBlocks !== false);
  const authFailures = deps.authFailures ?? new AuthFailures(config.authFailLimit);
  const control = deps.control ?? localControl(repo);

  const app = Fastify({
    logController: new LogController({
      disableRequestLogging: !config.logRequests,
      requestIdLogLabel: "reqId",
    }),
    // Given a logger, fastify attaches a listener pair to every response to log its completion, even
    // with request logging off (about 4% of a /predict request), and makes (and checks) a child logger
    // per request (2% more). So fastify gets the logger only when it logs requests; otherwise what the
    // server logs about a request (an internal error) goes to the server's logger with its reqId.
    ...(config.logRequests ? { loggerInstance: logger } : {}),
    bodyLimit: config.bodyLimit,
    // fastify takes a hop count too (proxy-addr), though its types leave numbers out.
    trustProxy: config.trustProxy as boolean | string,
    requestIdHeader: false,
    genReqId: requestIdGenerator(headers.ServerResponse !== undefined),
    ...(headers.ServerResponse ? { http: { ServerResponse: headers.ServerResponse } } : {}),
    return503OnClosing: true,
    forceCloseConnections: "idle",
    // Answers for what fails before routing (malformed framing, huge headers, undecodable URLs) carry
    // the same headers, request id and error body as every other answer.
    clientErrorHandler: clientErrorHandler(headers.api, logger),
    frameworkErrors: frameworkErrors(headers.ServerResponse ? undefined : headers.api),
    ajv: { customOptions: { coerceTypes: false, allowUnionTypes: true } },
  }) as unknown as FastifyInstance;

  if (deps.onRoute) app.addHook("onRoute", deps.onRoute);
  await app.register(jsonBody);
  if (deps.checkSerialization) await app.register(checkSerialization);
  await app.register(requestMetrics, { metrics });
  await app.register(headers.plugin);
  await app.register(apiKeyAuth, { keys, page: config.docs, failures: authFailures });
  await app.register(requestRateLimit, { perMinute: config.rateLimit });
  await app.register(classicErrors, { logger });
  await app.register(sharedSchemas);

  const names = repo.names();
  const taken = new Set<string>();
  const docs = names.flatMap((n) => {
    const entry = repo.get(n);
    return entry ? [{ doc: modelDoc(n, entry.model, taken), model: entry.model }] : [];
  });
  await app.register(registerModelSchemas, { schemas: docs.flatMap((d) => modelSchemas(d.doc, d.model)) });
  const title = `${SERVER_NAME}: ${names.join(", ")}`;
  if (config.docs)
    await app.register(swagger, openApiOptions({ title, version: SERVER_VERSION, auth: keys.enabled }));

  await app.register(opsRoutes, {
    repo,
    isShuttingDown,
    contentType: metrics.registry.contentType,
    scrape: deps.scrape ?? (() => metrics.registry.metrics()),
  });
  await app.register(driftPlugin, { drift: deps.drift, registry: metrics.registry });
  await app.register(predictRoutes, {
    repo,
    predictions,
    docs: docs.map((d) => d.doc),
    defaultModel: names.length === 1 ? names[0] : undefined,
    maxResponseBytes: config.maxResponseBytes,
  });
  await app.register(v2Routes, {
    prefix: "/v2",
    repo,
    control,
    predictions,
    logger,
    isShuttingDown,
    maxResponseBytes: config.maxResponseBytes,
    maxWorkMs: config.maxWorkMs,
  });
  if (config.docs) {
    await app.register(docsRoutes, { models: docs.map((d) => d.doc), pageHeaders: headers.docsHook, title });
    await app.register(pageRoutes, { repo, docs: docs.map((d) => d.doc), pageHeaders: headers.docsHook });
  }
  return app;
}
