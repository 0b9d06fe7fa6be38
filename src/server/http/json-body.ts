/**
 * Which request bodies the server reads: JSON only, as UTF-8 and uncompressed. fastify answers 415 for
 * any other content type (the V2 routes add binary tensor data in routes/v2-binary.ts), and this parser
 * answers 415 for a JSON body in another charset or a compressed one (errors.ts: unreadableBody).
 */
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { unreadableBody } from "./errors.js";

export const jsonBody: FastifyPluginCallback = fp(
  (app, _opts, done) => {
    app.removeContentTypeParser("text/plain");
    const parseJson = app.getDefaultJsonParser("error", "error");
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, parsed) => {
      const unreadable = unreadableBody(req.headers);
      if (unreadable) return parsed(unreadable, undefined);
      parseJson(req, body as string, parsed);
    });
    done();
  },
  { name: "json-body" },
);
