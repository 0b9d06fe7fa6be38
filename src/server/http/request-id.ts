/**
 * Request ids: a caller's `x-request-id` when it is 1-128 characters of [A-Za-z0-9._:-], otherwise one
 * made here. Every log line of the request carries it (reqId) and every response echoes it.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { setResponseRequestId } from "./response-headers.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
// A random per-process prefix and a counter: unique across workers and restarts like a UUID, without
// drawing random bytes for every request (randomUUID showed up in profiles).
const ID_PREFIX = randomBytes(6).toString("hex");
let idSeq = 0;

/** A fresh id, for what has no request of its own to take one from (a gRPC call). */
export const nextRequestId = () => `${ID_PREFIX}-${(++idSeq).toString(36)}`;

/** The id of a request from its metadata value, when that is a usable id. */
export function requestIdOf(given: unknown): string {
  return typeof given === "string" && REQUEST_ID_RE.test(given) ? given : nextRequestId();
}

/**
 * fastify's genReqId. With `tagResponse`, the id is also recorded on the raw request, where the response's
 * pre-validated header block picks it up (see response-headers.ts).
 */
export function requestIdGenerator(tagResponse: boolean): (req: IncomingMessage) => string {
  return (req) => {
    const id = requestIdOf(req.headers["x-request-id"]);
    if (tagResponse) setResponseRequestId(req, id);
    return id;
  };
}
