/**
 * The API documentation: the OpenAPI 3.1 document generated from the routes' own schemas
 * (@fastify/swagger in dynamic mode, so no route can be missing from it), served at /openapi.json and
 * rendered by Swagger UI (/docs) and ReDoc (/redoc) from local files, no CDN. The docs pages get
 * helmet's full set of headers (security-headers.ts) instead of the API's.
 */
import { readFileSync } from "node:fs";
import type { SwaggerOptions } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyPluginAsync, onRequestHookHandler } from "fastify";
import { redocStandalonePath } from "../redoc-asset.js";
import type { ModelDoc } from "../schemas/predict.js";

/**
 * Where the pages' scripts come from: ReDoc's standalone bundle (shipped in dist/assets, see
 * redoc-asset.ts); Swagger UI's files ship inside @fastify/swagger-ui, which serves them under
 * /docs/static itself.
 */
export function docsAssets(): { redocStandalone: string } {
  return { redocStandalone: redocStandalonePath() };
}

/** @fastify/swagger's options: register it before the routes, which it documents as they are added. */
export function openApiOptions(o: { title: string; version: string; auth: boolean }): SwaggerOptions {
  return {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: o.title,
        version: o.version,
        description:
          "LightGBM models served by lightgbm-node. Bad input gets a 4xx JSON error naming each bad field; " +
          "never a 200 with an error inside.",
      },
      tags: [
        { name: "operations", description: "Probes, metrics, the loaded models" },
        { name: "drift", description: "Input drift against each bundle's reference statistics" },
        {
          name: "Open Inference Protocol (V2)",
          description: "KServe V2 / Triton REST (also over gRPC, --grpc-port)",
        },
      ],
      ...(o.auth
        ? {
            components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
            security: [{ bearer: [] }],
          }
        : {}),
    },
    // Shared schemas keep their $id as their component name (hr_Record, V2InferenceRequest, ...).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
  };
}

export interface DocsRoutesOptions {
  models: ModelDoc[];
  /** helmet's headers for the pages (security-headers.ts). */
  pageHeaders: onRequestHookHandler;
  title: string;
}

const hidden = { schema: { hide: true } };

export const docsRoutes: FastifyPluginAsync<DocsRoutesOptions> = async (app, opts) => {
  app.addHook("onRequest", opts.pageHeaders);
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
  app.get("/openapi.json", hidden, async () => app.swagger());

  const redocJs = readFileSync(docsAssets().redocStandalone);
  app.get("/redoc/redoc.standalone.js", hidden, async (_req, reply) => {
    reply.header("content-type", "application/javascript; charset=utf-8");
    reply.header("cache-control", "public, max-age=86400");
    return redocJs;
  });
  const fieldList = opts.models
    .flatMap((m) =>
      m.fieldsText
        ? [`<li><code>${escapeHtml(m.name)}</code>: ${escapeHtml(m.fieldsText.replace(/`/g, ""))}</li>`]
        : [],
    )
    .join("");
  const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(opts.title)} (ReDoc)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><noscript><p>Model fields:</p><ul>${fieldList}</ul><p>OpenAPI document: <a href="/openapi.json">/openapi.json</a></p></noscript>
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/redoc/redoc.standalone.js"></script></body></html>`;
  app.get("/redoc", hidden, async (_req, reply) => {
    reply.header("content-type", "text/html; charset=utf-8");
    return page;
  });
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
