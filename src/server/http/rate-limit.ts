/**
 * Requests per minute per API key (per client IP without keys), @fastify/rate-limit; health probes are
 * never limited. Counted per process: `--workers N` allows N times as many.
 */
import rateLimit from "@fastify/rate-limit";
import fp from "fastify-plugin";
import { isPublic } from "./auth.js";
import { HttpError } from "./errors.js";

export const requestRateLimit = fp<{ perMinute: number }>(
  async (app, { perMinute }) => {
    if (perMinute <= 0) return;
    await app.register(rateLimit, {
      global: true,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => req.apiKey ?? req.ip,
      allowList: (req) => isPublic(req.url),
      errorResponseBuilder: (_req, ctx) =>
        new HttpError(
          429,
          `rate limit exceeded: ${ctx.max} requests per minute; retry in ${ctx.after}`,
          "ERR_RATE_LIMIT",
        ),
    });
  },
  { name: "rate-limit", dependencies: ["api-key-auth"] },
);
