/**
 * Security headers on every response, errors and 404s included. JSON answers get the subset of helmet's
 * that applies to an API (OWASP REST guidance) with the strictest CSP; the docs pages get helmet's full
 * set, with a CSP that lets the local Swagger UI and ReDoc run (same-origin scripts only, no CDNs).
 *
 * Neither set depends on the request, so both are made once, as pre-validated header blocks written by
 * a ServerResponse subclass (see response-headers.ts): then no per-request hook runs for the API's
 * headers at all. Where Node.js lacks the hook that needs, the same headers go through fastify in an
 * onRequest hook.
 */
import type { ServerResponse } from "node:http";
import type { FastifyPluginCallback, onRequestHookHandler } from "fastify";
import fp from "fastify-plugin";
import helmet from "helmet";
import { headerBlock, secureResponseClass, useHeaderBlock } from "./response-headers.js";

export interface SecurityHeaders {
  /** The ServerResponse class writing the API's header block (fastify's `http.ServerResponse`), if any. */
  ServerResponse: typeof ServerResponse | undefined;
  /** The API's headers and x-request-id on every response (a hook only without the header blocks). */
  plugin: FastifyPluginCallback;
  /** onRequest hook of the docs pages: helmet's full set instead of the API's. */
  docsHook: onRequestHookHandler;
  /** The API's headers (for answers written outside fastify's request cycle: client errors). */
  api: Readonly<Record<string, string>>;
}

/** `blocks` false sets the headers through fastify even where the header blocks work (tests check both). */
export function securityHeaders(blocks = true): SecurityHeaders {
  const docs = helmetHeaders();
  const api: Record<string, string> = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "strict-transport-security": docs["strict-transport-security"],
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  };
  const SecureResponse = blocks ? secureResponseClass(headerBlock(api)) : undefined;
  if (SecureResponse) {
    const docsBlock = headerBlock(docs);
    return {
      api,
      ServerResponse: SecureResponse,
      plugin: fp((_app, _opts, done) => done(), { name: "security-headers" }),
      docsHook: (_req, reply, done) => {
        useHeaderBlock(reply.raw, docsBlock);
        done();
      },
    };
  }
  return {
    api,
    ServerResponse: undefined,
    plugin: fp(
      (app, _opts, done) => {
        app.addHook("onRequest", (req, reply, next) => {
          reply.headers(api);
          reply.header("x-request-id", req.id);
          next();
        });
        done();
      },
      { name: "security-headers" },
    ),
    docsHook: (_req, reply, done) => {
      reply.headers(docs);
      done();
    },
  };
}

/** helmet's headers for a page, as one object (helmet is middleware: run once against a recording response). */
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
