/**
 * The fastify application: a thin HTTP shell over the SDK. Handlers parse the request shape, call the
 * model (through the micro-batcher), and shape the response; validation, encoding and prediction are
 * the SDK's. Every error is a JSON body with a 4xx/5xx status, never a 200.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import helmet from "helmet";
import type { Logger } from "pino";
import { registerDrift } from "../drift/fastify-plugin.js";
import { ValidationError } from "../errors.js";
import { ApiKeys } from "./auth.js";
import type { ServerConfig } from "./config.js";
import type { Metrics } from "./metrics.js";
import { buildOpenApi } from "./openapi.js";
import type { PredictionLog } from "./prediction-log.js";
import { redocStandalone } from "./redoc-asset.js";
import type { ModelEntry, ModelRepository } from "./registry.js";
import { registerRequestMetrics } from "./request-metrics.js";
import {
  headerBlock,
  secureResponseClass,
  setResponseRequestId,
  useHeaderBlock,
} from "./response-headers.js";
import type { Columnar, RecordInput, Result } from "./sdk.js";
import { encodeInputs, modelMetadata, parseInferRequest, runOutputs, V2Error } from "./v2.js";

const require = createRequire(import.meta.url);

export const SERVER_NAME = "lightgbm-node";
export const SERVER_VERSION = (() => {
  try {
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

/** Routes reachable without an API key. */
const PUBLIC_ROUTES = new Set(["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]);

/**
 * Whether a request's URL is a public route's path. By path rather than by matched route
 * (req.routeOptions builds an object on every read): a URL that only routes to a public route after
 * decoding is asked for a key, never the other way round.
 */
function isPublic(url: string): boolean {
  const query = url.indexOf("?");
  return PUBLIC_ROUTES.has(query < 0 ? url : url.slice(0, query));
}

declare module "fastify" {
  interface FastifyRequest {
    /** The SHA-256 id of the request's API key, once checked. */
    apiKey: string | undefined;
  }
}

export interface AppDeps {
  config: ServerConfig;
  repo: ModelRepository;
  metrics: Metrics;
  logger: Logger;
  predictionLog?: PredictionLog;
  /** Set when the server is shutting down: readiness turns false. */
  isShuttingDown?: () => boolean;
  /**
   * Write the fixed headers as pre-validated blocks (default true where Node.js allows it; see
   * response-headers.ts). false sets them through fastify, as on a Node.js without that hook: the tests
   * check both ways give the same headers.
   */
  headerBlocks?: boolean;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
// Generated request ids: a random per-process prefix and a counter. Unique across workers and restarts
// like a UUID, without drawing random bytes for every request (randomUUID showed up in profiles).
const ID_PREFIX = randomBytes(6).toString("hex");
let idSeq = 0;
const nextRequestId = () => `${ID_PREFIX}-${(++idSeq).toString(36)}`;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, repo, metrics, predictionLog } = deps;
  const keys = new ApiKeys(config.apiKeys);

  // Security headers. HTML pages (the docs) get helmet's full set, with a CSP that lets the local
  // Swagger UI and ReDoc run (same-origin scripts only, no CDNs). JSON responses get the subset that
  // applies to an API (OWASP REST guidance) with the strictest CSP. Neither depends on the request, so
  // both are made once, as pre-validated header blocks (see response-headers.ts).
  const docsHeaders = helmetHeaders();
  const apiHeaders: Record<string, string> = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "strict-transport-security": docsHeaders["strict-transport-security"],
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  };
  const docsBlock = headerBlock(docsHeaders);
  const SecureResponse =
    deps.headerBlocks === false ? undefined : secureResponseClass(headerBlock(apiHeaders));
  const isDocs = (url: string) => url.startsWith("/docs") || url.startsWith("/redoc");

  const app = Fastify({
    logController: new LogController({
      disableRequestLogging: !config.logRequests,
      requestIdLogLabel: "reqId",
    }),
    // Given a logger, fastify attaches a listener pair to every response to log its completion, even
    // with request logging off (about 4% of a /predict request), and makes (and checks) a child logger
    // per request (2% more). So fastify gets the logger only when it logs requests (development,
    // acceptance). Otherwise it has none: req.log is silent, and what the server logs about a request
    // (an internal error) goes to the server's logger with the request's reqId (the error handler).
    ...(config.logRequests ? { loggerInstance: deps.logger } : {}),
    bodyLimit: config.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers["x-request-id"];
      const id = typeof h === "string" && REQUEST_ID_RE.test(h) ? h : nextRequestId();
      if (SecureResponse) setResponseRequestId(req, id);
      return id;
    },
    ...(SecureResponse ? { http: { ServerResponse: SecureResponse } } : {}),
    return503OnClosing: true,
    forceCloseConnections: "idle",
    ajv: { customOptions: { coerceTypes: false } },
  });

  // Only JSON bodies: fastify answers 415 for any other content type.
  app.removeContentTypeParser("text/plain");
  registerRequestMetrics(app, metrics);
  // Declared, so every request object has the same shape whether or not it carries a key.
  app.decorateRequest("apiKey", undefined);

  const unauthorized = () =>
    new HttpError(401, "missing or invalid API key: send Authorization: Bearer <key>", "ERR_UNAUTHORIZED");

  // One callback-style hook for every request: headers, then the API key check.
  app.addHook("onRequest", (req, reply, done) => {
    if (!SecureResponse) {
      reply.headers(isDocs(req.url) ? docsHeaders : apiHeaders);
      reply.header("x-request-id", req.id);
    } else if (isDocs(req.url)) {
      useHeaderBlock(reply.raw, docsBlock);
    }
    // While shutting down, close each connection after its response instead of keeping it alive.
    if (deps.isShuttingDown?.()) reply.header("connection", "close");
    if (keys.enabled) {
      if (!isPublic(req.url)) {
        const key = keys.check(req.headers.authorization);
        if (!key) {
          reply.header("www-authenticate", 'Bearer realm="lgbm"');
          done(unauthorized());
          return;
        }
        req.apiKey = key;
      }
    }
    done();
  });

  if (config.rateLimit > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit,
      timeWindow: 60_000,
      keyGenerator: (req) => req.apiKey ?? req.ip,
      allowList: (req) => isPublic(req.url),
      errorResponseBuilder: (_req, ctx) =>
        Object.assign(
          new HttpError(429, `rate limit exceeded: ${ctx.max} requests per minute; retry in ${ctx.after}`),
          {
            code: "ERR_RATE_LIMIT",
          },
        ),
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const v2 = req.url.startsWith("/v2");
    if (err instanceof ValidationError) {
      const status = v2 ? 400 : 422;
      return reply
        .code(status)
        .send(
          v2
            ? { error: err.message }
            : { error: "validation failed", issues: err.issues, request_id: req.id },
        );
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && status === 400)
          ? `malformed JSON: ${err.message}`
          : err.message;
      return reply
        .code(status)
        .send(v2 ? { error: message } : { error: message, code: err.code, request_id: req.id });
    }
    deps.logger.error({ reqId: req.id, err }, "internal error");
    return reply
      .code(500)
      .send(
        v2
          ? { error: `internal server error (request id ${req.id})` }
          : { error: "internal server error", request_id: req.id },
      );
  });

  app.setNotFoundHandler((req, reply) => {
    const msg = `no route ${req.method} ${req.url.split("?")[0]}`;
    reply
      .code(404)
      .send(
        req.url.startsWith("/v2")
          ? { error: msg }
          : { error: msg, code: "ERR_NOT_FOUND", request_id: req.id },
      );
  });

  // ---- operations -------------------------------------------------------------------------------
  app.get("/healthz", async () => ({ status: "ok", pid: process.pid }));
  app.get("/readyz", async (_req, reply) => {
    const ready = repo.ready && !deps.isShuttingDown?.();
    reply.code(ready ? 200 : 503);
    return {
      status: ready ? "ready" : "not ready",
      models: repo.entries().map((e) => `${e.name}/${e.version}`),
    };
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  // Input drift per model against its bundle's reference statistics: GET /drift, lgbm_drift_psi gauges.
  const drift = await registerDrift(app, metrics.registry);

  // ---- prediction ---------------------------------------------------------------------------------
  const names = repo.names();
  const defaultModel = names.length === 1 ? names[0] : undefined;

  const entryFor = (name: string | undefined, version?: string): ModelEntry => {
    const n = name ?? defaultModel;
    const entry = n === undefined ? undefined : repo.get(n, version);
    if (!entry) {
      throw new HttpError(
        404,
        version === undefined
          ? `no model named ${JSON.stringify(n)}`
          : `no version ${version} of model ${JSON.stringify(n)}`,
        "ERR_NO_MODEL",
      );
    }
    return entry;
  };

  /** Runs fn with the model entry held, so a reload cannot dispose it mid-request. */
  async function withEntry<T>(
    name: string | undefined,
    version: string | undefined,
    fn: (e: ModelEntry) => Promise<T>,
  ) {
    const entry = repo.acquire(entryFor(name, version));
    try {
      return await fn(entry);
    } finally {
      repo.release(entry);
    }
  }

  const record = (body: unknown): RecordInput => {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new ValidationError([
        {
          field: "",
          message: Array.isArray(body)
            ? "expected one record (a JSON object); send arrays of records to /predict/batch"
            : "expected one record (a JSON object of field values)",
        },
      ]);
    }
    return body as RecordInput;
  };

  const batch = (body: unknown): RecordInput[] | Columnar => {
    if (Array.isArray(body)) return body as RecordInput[];
    if (body !== null && typeof body === "object") {
      const b = body as Record<string, unknown>;
      if (Array.isArray(b.records) && Object.keys(b).length === 1) return b.records as RecordInput[];
      const values = Object.values(b);
      if (values.length > 0 && values.every(Array.isArray)) return b as Columnar;
    }
    throw new ValidationError([
      {
        field: "",
        message: 'expected an array of records, {"records": [...]}, or columns ({"field": [values...]})',
      },
    ]);
  };

  const logPredictions = (
    req: FastifyRequest,
    entry: ModelEntry,
    route: string,
    input: RecordInput[] | Columnar,
    results: Result[],
    t0: number,
  ) => {
    entry.predictions.count(results);
    const records = Array.isArray(input) ? input : columnsToRecords(input, results.length);
    // Named fields only: a V2 request of raw feature rows ({ features: [...] }) carries none.
    if (route !== "infer" || !Array.isArray(input))
      drift.observe(entry.name, entry.served.model.spec, records, results);
    if (predictionLog) predictionLog.write(records, results, logMeta(req, entry, route, t0));
  };
  const logMeta = (req: FastifyRequest, entry: ModelEntry, route: string, t0: number) => ({
    request_id: req.id,
    model: entry.name,
    version: entry.version,
    route,
    latency_ms: performance.now() - t0,
  });

  /** After one /predict prediction: rows, class and drift counts, the prediction log; releases the entry. */
  const predicted = (
    req: FastifyRequest,
    entry: ModelEntry,
    rec: RecordInput,
    result: Result,
    t0: number,
  ) => {
    try {
      entry.rows.predict.observe(1);
      entry.predictions.countOne(result);
      drift.observeOne(entry.name, entry.served.model.spec, rec, result);
      if (predictionLog) predictionLog.write([rec], [result], logMeta(req, entry, "predict", t0));
      return result;
    } finally {
      repo.release(entry);
    }
  };

  const registerModelRoutes = (prefix: string, named: boolean) => {
    type P = { Params: { name?: string }; Body: unknown };
    // The hottest route, written out rather than through withEntry. Not an async function: a record the
    // batcher answers at once is returned as it is (fastify sends a plain value), and only a batched one
    // goes through a promise.
    app.post<P>(`${prefix}/predict`, (req) => {
      const t0 = performance.now();
      const rec = record(req.body);
      const entry = repo.acquire(entryFor(named ? req.params.name : undefined));
      let out: Result | Promise<Result>;
      try {
        out = entry.batcher.predictOne(rec);
      } catch (err) {
        repo.release(entry);
        singleRecordIssues(err);
      }
      if (out instanceof Promise) {
        return out.then(
          (result) => predicted(req, entry, rec, result, t0),
          (err) => {
            repo.release(entry);
            singleRecordIssues(err);
          },
        );
      }
      return predicted(req, entry, rec, out, t0);
    });
    app.post<P>(`${prefix}/predict/batch`, async (req) => {
      const t0 = performance.now();
      const input = batch(req.body);
      return withEntry(named ? req.params.name : undefined, undefined, async (entry) => {
        const predictions = await entry.batcher.predict(input);
        entry.rows.batch.observe(predictions.length);
        logPredictions(req, entry, "batch", input, predictions, t0);
        return { predictions };
      });
    });
    app.post<P>(`${prefix}/explain`, async (req) => {
      const rec = record(req.body);
      return withEntry(named ? req.params.name : undefined, undefined, async (entry) => {
        try {
          return entry.served.explain(rec);
        } catch (err) {
          singleRecordIssues(err);
        }
      });
    });
  };
  registerModelRoutes("/models/:name", true);
  if (defaultModel !== undefined) registerModelRoutes("", false);

  app.get("/models", async () => ({
    models: repo.entries().map((e) => ({
      name: e.name,
      version: e.version,
      objective: e.served.info.objective,
      engine: e.served.model.engine.name,
      fields: e.served.fields,
      sha256: e.sha256,
      loadedAt: e.loadedAt,
    })),
  }));

  // ---- Open Inference Protocol (V2) -------------------------------------------------------------
  app.get("/v2", async () => ({
    name: SERVER_NAME,
    version: SERVER_VERSION,
    extensions: ["model_repository"],
  }));
  app.get("/v2/health/live", async () => ({ live: true }));
  app.get("/v2/health/ready", async (_req, reply) => {
    const ready = repo.ready && !deps.isShuttingDown?.();
    reply.code(ready ? 200 : 503);
    return { ready };
  });
  type V = { Params: { name: string; version?: string }; Body: unknown };
  const v2Entry = (p: { name: string; version?: string }) => {
    const e = repo.get(p.name, p.version);
    if (!e) {
      throw new V2Error(
        p.version === undefined
          ? `model ${JSON.stringify(p.name)} not found`
          : `model ${JSON.stringify(p.name)} version ${JSON.stringify(p.version)} not found`,
        404,
      );
    }
    return e;
  };
  for (const base of ["/v2/models/:name", "/v2/models/:name/versions/:version"]) {
    app.get<V>(base, async (req) => modelMetadata(v2Entry(req.params), repo.versions(req.params.name)));
    app.get<V>(`${base}/ready`, async (req, reply) => {
      const e = repo.get(req.params.name, req.params.version);
      reply.code(e ? 200 : 404);
      return e
        ? { name: e.name, ready: true }
        : { error: `model ${JSON.stringify(req.params.name)} not found` };
    });
    app.post<V>(`${base}/infer`, async (req) => {
      const t0 = performance.now();
      const request = parseInferRequest(req.body);
      const entry = repo.acquire(v2Entry(req.params));
      try {
        const { data, nrow } = encodeInputs(entry, request);
        const { tensors, results } = await runOutputs(entry, data, nrow, request.outputs);
        if (results) {
          const fieldsInput = request.inputs.length > 1 || request.inputs[0]?.shape.length === 1;
          const input = fieldsInput
            ? (Object.fromEntries(request.inputs.map((t) => [t.name, t.data])) as Columnar)
            : (Array.from({ length: nrow }, (_, r) => ({
                features: Array.from(
                  data.subarray(r * entry.served.info.numFeatures, (r + 1) * entry.served.info.numFeatures),
                ),
              })) as RecordInput[]);
          logPredictions(req, entry, "infer", input, results, t0);
        }
        entry.rows.infer.observe(nrow);
        return {
          model_name: entry.name,
          model_version: entry.version,
          ...(request.id !== undefined ? { id: request.id } : {}),
          outputs: tensors,
        };
      } finally {
        repo.release(entry);
      }
    });
  }
  app.post<V>("/v2/repository/models/:name/load", async (req) => {
    const { loaded, failed } = await repo.reload(req.params.name);
    if (failed.length > 0) {
      throw new V2Error(
        `reload failed, the previous model keeps serving: ${failed.map((f) => `${f.model}: ${f.error}`).join("; ")}`,
      );
    }
    return { name: req.params.name, loaded };
  });
  app.post("/v2/repository/index", async () =>
    repo.entries().map((e) => ({ name: e.name, version: e.version, state: "READY", reason: "" })),
  );

  // ---- documentation -------------------------------------------------------------------------------
  if (config.docs) {
    const document = buildOpenApi(repo.entries(), {
      title: `${SERVER_NAME}: ${names.join(", ")}`,
      version: SERVER_VERSION,
      defaultModel,
      auth: keys.enabled,
    });
    await app.register(swagger, { mode: "static", specification: { document: document as never } });
    await app.register(swaggerUi, {
      routePrefix: "/docs",
      // Models expanded: the page shows every input field of the record schema without a click.
      uiConfig: {
        deepLinking: true,
        tryItOutEnabled: true,
        url: "/openapi.json",
        defaultModelsExpandDepth: 3,
        defaultModelExpandDepth: 3,
      } as never,
      staticCSP: false,
    });
    app.get("/openapi.json", async () => document);
    const redocJs = redocStandalone();
    app.get("/redoc/redoc.standalone.js", async (_req, reply) => {
      reply.header("content-type", "application/javascript; charset=utf-8");
      reply.header("cache-control", "public, max-age=86400");
      return redocJs;
    });
    const fieldList = repo
      .entries()
      .flatMap((e) =>
        e.served.fields.map(
          (f) => `<li><code>${escapeHtml(e.name)}.${escapeHtml(f.name)}</code> ${escapeHtml(f.type)}</li>`,
        ),
      )
      .join("");
    const redocHtml = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(SERVER_NAME)} API (ReDoc)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><noscript><p>Model fields:</p><ul>${fieldList}</ul><p>OpenAPI document: <a href="/openapi.json">/openapi.json</a></p></noscript>
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/redoc/redoc.standalone.js"></script></body></html>`;
    app.get("/redoc", async (_req, reply: FastifyReply) => {
      reply.header("content-type", "text/html; charset=utf-8");
      return redocHtml;
    });
  }

  return app as unknown as FastifyInstance;
}

function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => {
      headers[k.toLowerCase()] = String(v);
    },
    removeHeader: (k: string) => {
      delete headers[k.toLowerCase()];
    },
  };
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:", "blob:"],
        fontSrc: ["'self'", "data:"],
        workerSrc: ["'self'", "blob:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  middleware({} as never, res as never, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/** A one-record request's validation issues without the row index (there is only one row). */
function singleRecordIssues(err: unknown): never {
  if (err instanceof ValidationError) {
    throw new ValidationError(err.issues.map(({ row: _row, ...issue }) => issue));
  }
  throw err;
}

function columnsToRecords(cols: Columnar, n: number): RecordInput[] {
  const keys = Object.keys(cols);
  return Array.from({ length: n }, (_, r) => Object.fromEntries(keys.map((k) => [k, cols[k]?.[r]])));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
