/**
 * The shared schemas, registered once on the application (app.addSchema) before the routes that refer
 * to them by $ref; the OpenAPI document lists each once, under its $id.
 */
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { errorSchema, validationErrorSchema } from "./common.js";
import { opsSchemas } from "./ops.js";
import { predictSchemas } from "./predict.js";
import { v2Schemas } from "./v2.js";

export const sharedSchemas: FastifyPluginCallback = fp(
  (app, _opts, done) => {
    for (const s of [errorSchema, validationErrorSchema, ...predictSchemas, ...opsSchemas, ...v2Schemas]) {
      app.addSchema(s);
    }
    done();
  },
  { name: "shared-schemas" },
);
