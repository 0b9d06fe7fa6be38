/**
 * Operations: GET /healthz (liveness), /readyz (readiness), /metrics (Prometheus), /models (what is
 * loaded). The probes need no API key, so they say nothing but their status: which process answered and
 * which models it serves are /models' business, behind the key.
 */
import type { FastifyPluginCallback } from "fastify";
import type { ModelRepository } from "../registry.js";
import { healthzSchema, metricsSchema, modelsSchema, readyzSchema } from "../schemas/ops.js";

export interface OpsRoutesOptions {
  repo: ModelRepository;
  /** True once shutdown began: readiness turns false. */
  isShuttingDown: () => boolean;
  /** The Prometheus text: this process's registry, or every worker's aggregated (cluster.ts). */
  scrape: () => Promise<string>;
  contentType: string;
}

export const opsRoutes: FastifyPluginCallback<OpsRoutesOptions> = (
  app,
  { repo, isShuttingDown, scrape, contentType },
  done,
) => {
  app.get("/healthz", { schema: healthzSchema }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: readyzSchema }, async (_req, reply) => {
    const ready = repo.ready && !isShuttingDown();
    reply.code(ready ? 200 : 503);
    return { status: ready ? "ready" : "not ready" };
  });

  app.get("/metrics", { schema: metricsSchema }, async (_req, reply) => {
    const text = await scrape();
    reply.header("content-type", contentType);
    return text;
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
