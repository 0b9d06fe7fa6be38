/**
 * API keys on every route but the health probes: `Authorization: Bearer <key>`, compared in constant
 * time (api-keys.ts). A request's key is known afterwards as req.apiKey (its SHA-256, never the key),
 * which the rate limiter counts by. Failed attempts are counted per client IP (auth-failures.ts): a
 * client that fails too often is locked out for the rest of the minute.
 */
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import type { ApiKeys } from "./api-keys.js";
import { type AuthFailures, lockedOutMessage } from "./auth-failures.js";
import { HttpError } from "./errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The SHA-256 id of the request's API key, once checked. */
    apiKey: string | undefined;
  }
}

/** Paths reachable without an API key. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  "/healthz",
  "/readyz",
  "/v2/health/live",
  "/v2/health/ready",
]);

/**
 * Whether a request's URL is a public path. By path rather than by matched route (req.routeOptions builds
 * an object on every read): a URL that only routes to a public route after decoding is asked for a key,
 * never the other way round.
 */
export function isPublic(url: string): boolean {
  const query = url.indexOf("?");
  return PUBLIC_PATHS.has(query < 0 ? url : url.slice(0, query));
}

/**
 * Whether a GET is for the model page's shell: `/`, `/models/{name}` (no further segment) or one of its
 * files under `/page/`. They hold nothing of any model (the page reads its data from routes that need the
 * key), and a browser opening the page cannot send a key before the page asks for it.
 */
export function isPageShell(method: string, url: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  const query = url.indexOf("?");
  const path = query < 0 ? url : url.slice(0, query);
  return (
    path === "/" ||
    /^\/models\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(path) ||
    /^\/page\/[a-z0-9-]+\.(js|css|svg)$/.test(path)
  );
}

export const UNAUTHORIZED = "missing or invalid API key: send Authorization: Bearer <key>";

export interface ApiKeyAuthOptions {
  keys: ApiKeys;
  /** The model page is served: its shell is public (isPageShell). */
  page?: boolean;
  /** Failed attempts per client IP (shared with gRPC). */
  failures: AuthFailures;
}

export const apiKeyAuth: FastifyPluginCallback<ApiKeyAuthOptions> = fp<ApiKeyAuthOptions>(
  (app, { keys, page = false, failures }, done) => {
    // Declared, so every request object has the same shape whether or not it carries a key.
    app.decorateRequest("apiKey", undefined);
    if (keys.enabled) {
      app.addHook("onRequest", (req, reply, next) => {
        if (isPublic(req.url) || (page && isPageShell(req.method, req.url))) return next();
        // A client locked out for its failed attempts is refused before its key is looked at.
        const locked = failures.anyRecent ? failures.lockedFor(req.ip) : 0;
        if (locked > 0) {
          reply.header("retry-after", String(Math.ceil(locked / 1000)));
          return next(new HttpError(429, lockedOutMessage(failures.max, locked), "ERR_AUTH_LOCKED_OUT"));
        }
        const key = keys.check(req.headers.authorization);
        if (!key) {
          failures.fail(req.ip);
          reply.header("www-authenticate", 'Bearer realm="lgbm"');
          return next(new HttpError(401, UNAUTHORIZED, "ERR_UNAUTHORIZED"));
        }
        req.apiKey = key;
        next();
      });
    }
    done();
  },
  { name: "api-key-auth" },
);
