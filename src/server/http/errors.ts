/**
 * Errors of the classic API: never a 200, always a JSON body naming the problem and the request id.
 * 422 for records the SDK refuses (one issue per bad field and row), the error's own 4xx status for what
 * fastify or the routes refuse (400 malformed JSON, 401, 404, 413, 415, 429), and 500 for the rest,
 * logged with its cause and the request id, no stack trace to the client. The V2 routes answer errors in
 * the protocol's own shape (routes/v2.ts).
 */
import type { FastifyError, FastifyPluginCallback, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Logger } from "pino";
import { ValidationError } from "../../errors.js";

/** An error with the HTTP status (and stable code) it answers with. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

type AnyError = Error & { statusCode?: number; code?: string };

/** The status an error answers with: its own 4xx status, else 500. */
export function statusOf(err: AnyError): number {
  const s = err.statusCode;
  return typeof s === "number" && s >= 400 && s < 500 ? s : 500;
}

/** A client error's message, naming a body that is not JSON as such. */
export function clientMessage(err: AnyError): string {
  const json =
    err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && err.statusCode === 400);
  return json ? `malformed JSON: ${err.message}` : err.message;
}

/** Logs an internal error with the request's id (the response carries only the id). */
export function logInternal(logger: Logger, req: FastifyRequest, err: unknown): void {
  logger.error({ reqId: req.id, err }, "internal error");
}

export const classicErrors: FastifyPluginCallback<{ logger: Logger }> = fp<{ logger: Logger }>(
  (app, { logger }, done) => {
    app.setErrorHandler((err: FastifyError | AnyError, req, reply) => {
      if (err instanceof ValidationError) {
        return reply.code(422).send({ error: "validation failed", issues: err.issues, request_id: req.id });
      }
      const status = statusOf(err);
      if (status < 500) {
        return reply.code(status).send({ error: clientMessage(err), code: err.code, request_id: req.id });
      }
      logInternal(logger, req, err);
      return reply.code(500).send({ error: "internal server error", request_id: req.id });
    });
    app.setNotFoundHandler((req, reply) => {
      reply.code(404).send({
        error: `no route ${req.method} ${req.url.split("?")[0]}`,
        code: "ERR_NOT_FOUND",
        request_id: req.id,
      });
    });
    done();
  },
  { name: "classic-errors" },
);
