/**
 * Errors of the classic API: never a 200, always a JSON body naming the problem and the request id.
 * 422 for records the SDK refuses (one issue per bad field and row), the error's own 4xx status for what
 * fastify or the routes refuse (400 malformed JSON, 401, 404, 413, 415, 429), and 500 for the rest,
 * logged with its cause and the request id, no stack trace to the client. The V2 routes answer errors in
 * the protocol's own shape (routes/v2.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
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

/** Longest message an error answer carries: messages never echo unbounded input. */
export const MAX_MESSAGE = 1000;

/** `text` cut to `max` characters (the cut marked). */
export function clip(text: string, max = MAX_MESSAGE): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** A client error's message, naming a body that is not JSON as such; never longer than MAX_MESSAGE. */
export function clientMessage(err: AnyError): string {
  const json =
    err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && err.statusCode === 400);
  return clip(json ? `malformed JSON: ${err.message}` : String(err.message));
}

/** "no route GET /path" for a 404, the path cut short. */
export function noRoute(method: string, url: string): string {
  return `no route ${method} ${clip(url.split("?")[0], 200)}`;
}

/**
 * A request body the server cannot read as sent: compressed (Content-Encoding other than identity), or
 * declared in a charset other than UTF-8 (JSON is UTF-8). 415 naming the header, instead of reading the
 * bytes as if they were plain UTF-8 JSON. Called by the body parsers, so requests without a body pay
 * nothing, and a plain `application/json` request two header reads.
 */
export function unreadableBody(headers: IncomingHttpHeaders): HttpError | undefined {
  const encoding = headers["content-encoding"];
  if (encoding !== undefined && !/^\s*identity\s*$/i.test(encoding)) {
    return new HttpError(
      415,
      `Content-Encoding ${JSON.stringify(clip(encoding, 40))} is not supported: send the body uncompressed`,
      "ERR_CONTENT_ENCODING",
    );
  }
  const type = headers["content-type"];
  if (type === undefined || type === "application/json") return undefined;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return new HttpError(
      415,
      `charset ${JSON.stringify(clip(charset, 40))} is not supported: send the body as UTF-8`,
      "ERR_CHARSET",
    );
  }
  return undefined;
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
        error: noRoute(req.method, req.url),
        code: "ERR_NOT_FOUND",
        request_id: req.id,
      });
    });
    done();
  },
  { name: "classic-errors" },
);
