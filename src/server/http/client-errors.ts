/**
 * Errors that happen before a request reaches fastify's routing: Node's HTTP parser refusing the bytes
 * (400 malformed framing, 431 headers too large, 408 a request too slow to arrive), and fastify refusing
 * a URL it cannot decode (400) or a route parameter too long (414). They get what every other answer
 * gets: the API's security headers, an `x-request-id`, and the classic error body with `request_id`,
 * the id also on the log line.
 *
 * Node's parser errors come through fastify's `clientErrorHandler` option (Node's 'clientError' event):
 * the connection is unusable afterwards, so the answer is written on the socket as it is and the
 * socket closed, as Node and fastify do by default.
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { clip } from "./errors.js";
import { nextRequestId } from "./request-id.js";

type ConnectionError = Error & { code?: string };

/** Status and message for a parser error, by Node's error code. */
function parserError(err: ConnectionError): { status: number; error: string; code: string } {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        error: "the request's header fields are too large",
        code: "ERR_HEADERS_TOO_LARGE",
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, error: "the request took too long to arrive", code: "ERR_REQUEST_TIMEOUT" };
    default:
      return {
        status: 400,
        error: `malformed HTTP request${err.code ? ` (${clip(err.code, 60)})` : ""}`,
        code: "ERR_BAD_HTTP",
      };
  }
}

/** fastify's clientErrorHandler: the answer, with every API header, written on the socket. */
export function clientErrorHandler(api: Readonly<Record<string, string>>, logger: Logger) {
  let head = "";
  for (const [name, value] of Object.entries(api)) head += `${name}: ${value}\r\n`;
  return (err: ConnectionError, socket: Socket): void => {
    // A reset connection has nobody to answer (Node's own handler does the same).
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const id = nextRequestId();
    const { status, error, code } = parserError(err);
    logger.debug({ reqId: id, err: { code: err.code, message: err.message } }, "client error");
    const body = JSON.stringify({ error, code, request_id: id });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}x-request-id: ${id}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}

/**
 * fastify's frameworkErrors: a URL that does not decode, a route parameter over its length. The reply
 * is fastify's, so the headers come as on any answer; where they are set per request rather than by the
 * response class, `api` sets them here.
 */
export function frameworkErrors(api: Readonly<Record<string, string>> | undefined) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    if (api) reply.headers(api).header("x-request-id", req.id);
    const status = err.code === "FST_ERR_BAD_URL" ? 400 : err.code === "FST_ERR_MAX_PARAM_LENGTH" ? 414 : 500;
    const error =
      status === 400
        ? "the URL does not decode: a malformed percent-encoding"
        : status === 414
          ? "a part of the URL is too long"
          : "internal server error";
    reply
      .code(status)
      .type("application/json; charset=utf-8")
      .send({ error, code: err.code, request_id: req.id });
  };
}
