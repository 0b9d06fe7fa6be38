/**
 * The API documentation: the OpenAPI 3.1 document generated from the routes' own schemas
 * (@fastify/swagger in dynamic mode, so no route can be missing from it), served at /openapi.json and
 * rendered by Swagger UI (/docs) and ReDoc (/redoc) from their bundles shipped in dist/assets
 * (assets.ts), no CDN. Under the pages' CSP (same-origin scripts only) Swagger UI's configuration is a
 * script file of its own, not an inline script. The docs pages get helmet's full set of headers
 * (security-headers.ts) instead of the API's.
 */
import type { SwaggerOptions } from "@fastify/swagger";
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from "fastify";
import { readAsset } from "../assets.js";
import type { ModelDoc } from "../schemas/predict.js";

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
          name: "model page",
          description:
            "What the model page at / and /models/{name} reads: a model's card, and records tried there",
        },
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

/** Swagger UI's settings: models expanded, so the page shows every input field without a click. */
const swaggerUiConfig = {
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: true,
  defaultModelsExpandDepth: 3,
  defaultModelExpandDepth: 3,
  layout: "BaseLayout",
};

/** Swagger UI's initializer, a same-origin script file (the CSP allows no inline script). */
const swaggerInitializer = `"use strict";
window.ui = SwaggerUIBundle(Object.assign(${JSON.stringify(swaggerUiConfig)}, {
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
}));
`;

/** Sends a shipped script or stylesheet, cached for a day (its bytes change only with the package). */
function asset(body: Buffer | string, type: string) {
  return async (_req: unknown, reply: FastifyReply) => {
    reply.header("content-type", type);
    reply.header("cache-control", "public, max-age=86400");
    return body;
  };
}

const JS = "application/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

export const docsRoutes: FastifyPluginAsync<DocsRoutesOptions> = async (app, opts) => {
  app.addHook("onRequest", opts.pageHeaders);
  app.get("/openapi.json", hidden, async () => app.swagger());
  // Where @fastify/swagger-ui served the document, kept for clients that read it there.
  app.get("/docs/json", hidden, async () => app.swagger());
  app.get("/docs/yaml", hidden, async (_req, reply) => {
    reply.header("content-type", "application/x-yaml; charset=utf-8");
    return app.swagger({ yaml: true });
  });

  const fieldList = opts.models
    .flatMap((m) =>
      m.fieldsText
        ? [`<li><code>${escapeHtml(m.name)}</code>: ${escapeHtml(m.fieldsText.replace(/`/g, ""))}</li>`]
        : [],
    )
    .join("");
  const noscript = `<noscript><p>Model fields:</p><ul>${fieldList}</ul><p>OpenAPI document: <a href="/openapi.json">/openapi.json</a></p></noscript>`;
  const html = (page: string) => async (_req: unknown, reply: FastifyReply) => {
    reply.header("content-type", "text/html; charset=utf-8");
    return page;
  };

  const swaggerPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(opts.title)} (Swagger UI)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/static/swagger-ui.css"><link rel="icon" href="/page/icon.svg" type="image/svg+xml"></head>
<body>${noscript}<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-initializer.js"></script></body></html>`;
  app.get("/docs", hidden, html(swaggerPage));
  app.get("/docs/", hidden, html(swaggerPage));
  app.get("/docs/static/swagger-ui-bundle.js", hidden, asset(swaggerUi("swagger-ui-bundle.js"), JS));
  app.get("/docs/static/swagger-ui.css", hidden, asset(swaggerUi("swagger-ui.css"), CSS));
  app.get("/docs/static/swagger-initializer.js", hidden, asset(swaggerInitializer, JS));

  const redocPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(opts.title)} (ReDoc)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="/page/icon.svg" type="image/svg+xml"></head>
<body>${noscript}
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/redoc/redoc.standalone.js"></script></body></html>`;
  app.get("/redoc", hidden, html(redocPage));
  app.get(
    "/redoc/redoc.standalone.js",
    hidden,
    asset(readAsset("redoc.standalone.js", "redoc/bundles/redoc.standalone.js"), JS),
  );
};

/** A file of Swagger UI's bundle: dist/assets/swagger-ui/, or the swagger-ui-dist dev dependency. */
function swaggerUi(file: string): Buffer {
  return readAsset(`swagger-ui/${file}`, `swagger-ui-dist/${file}`);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
