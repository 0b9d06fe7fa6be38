/** Operations: GET /healthz (liveness), /readyz (readiness), /metrics (Prometheus), /models (what is loaded). */
import type { FastifyPluginCallback } from "fastify";
import type { Metrics } from "../metrics.js";
import type { ModelRepository } from "../registry.js";
import { healthzSchema, metricsSchema, modelsSchema, readyzSchema } from "../schemas/ops.js";

export interface OpsRoutesOptions {
  repo: ModelRepository;
  metrics: Metrics;
  /** True once shutdown began: readiness turns false. */
  isShuttingDown: () => boolean;
}

export const opsRoutes: FastifyPluginCallback<OpsRoutesOptions> = (
  app,
  { repo, metrics, isShuttingDown },
  done,
) => {
  app.get("/healthz", { schema: healthzSchema }, async () => ({ status: "ok", pid: process.pid }));

  app.get("/readyz", { schema: readyzSchema }, async (_req, reply) => {
    const ready = repo.ready && !isShuttingDown();
    reply.code(ready ? 200 : 503);
    return {
      status: ready ? "ready" : "not ready",
      models: repo.entries().map((e) => `${e.name}/${e.version}`),
    };
  });

  app.get("/metrics", { schema: metricsSchema }, async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get("/models", { schema: modelsSchema }, async () => ({
    models: repo.entries().map((e) => ({
      name: e.name,
      version: e.version,
      objective: e.model.info.objective,
      engine: e.model.engine.name,
      fields: e.model.spec.fields.map((f) => ({
        name: f.name,
        type: f.type,
        ...(f.type === "category" ? { categories: [...f.values] } : {}),
      })),
      sha256: e.sha256,
      loadedAt: e.loadedAt,
    })),
  }));
  done();
};
