/**
 * For tests: checks that every JSON response fastify serialized from a route's response schema
 * (fast-json-stringify, which writes only what the schema names) says what JSON.stringify would have
 * said, so no schema silently drops or changes a field. A difference is a 500 naming the route.
 */
import { isDeepStrictEqual } from "node:util";
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";

const ORIGINAL = Symbol("lightgbm-node.unserialized");

export const checkSerialization: FastifyPluginCallback = fp(
  (app, _opts, done) => {
    app.addHook("preSerialization", (_req, reply, payload, next) => {
      (reply as unknown as Record<symbol, unknown>)[ORIGINAL] = payload;
      next(null, payload);
    });
    app.addHook("onSend", (req, reply, payload, next) => {
      const original = (reply as unknown as Record<symbol, unknown>)[ORIGINAL];
      if (original === undefined || typeof payload !== "string") return next(null, payload);
      const sent = JSON.parse(payload);
      const plain = JSON.parse(JSON.stringify(original));
      if (isDeepStrictEqual(sent, plain)) return next(null, payload);
      const route = `${req.method} ${req.routeOptions.url ?? req.url} ${reply.statusCode}`;
      next(
        new Error(
          `the response schema of ${route} changed the response: sent ${payload}, meant ${JSON.stringify(original)}`,
        ),
      );
    });
    done();
  },
  { name: "check-serialization" },
);
