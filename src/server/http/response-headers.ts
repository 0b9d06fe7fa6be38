/**
 * The headers every response carries (security headers and the request id), written into the response
 * head as one pre-validated block of header lines.
 *
 * Why by hand: set through fastify (`reply.header`) and Node (`writeHead`), every header of every response
 * is lowercased twice, stored in a dictionary object, checked by two regular expressions and concatenated
 * (about 3,500 instructions a header, counted with callgrind). The six below never change (the request id
 * is checked when it is made), so this cost 20% of the instructions of a /predict request, and a bare
 * fastify route slowed by 9% when given them. Here they are validated once, at start-up, with node:http's
 * own validateHeaderName and validateHeaderValue, joined, and placed after the status line by a
 * ServerResponse subclass (the documented `ServerResponse` option of http.createServer, which fastify
 * passes on as its `http` option).
 *
 * The subclass overrides `_storeHeader(firstLine, headers)`, the method of Node's OutgoingMessage that
 * every response head goes through (writeHead and implicit heads alike). It is not a documented API, so
 * `secureResponseClass` checks that it is there and returns undefined otherwise; the server then sets the
 * same headers through fastify (see security-headers.ts), and test/server-headers checks the headers on every kind of
 * response either way.
 */
import { type IncomingMessage, ServerResponse, validateHeaderName, validateHeaderValue } from "node:http";

/** The request id a response echoes as x-request-id (set on the raw request when the id is made). */
const REQUEST_ID = Symbol("lightgbm-node.requestId");
/** The header block of a response, when it is not the default (the docs pages have their own). */
const BLOCK = Symbol("lightgbm-node.headerBlock");

type WithId = IncomingMessage & { [REQUEST_ID]?: string };
type WithBlock = ServerResponse & { [BLOCK]?: string };
type StoreHeader = (this: ServerResponse, firstLine: string, headers: unknown) => void;

/** The header lines of `headers` ("name: value\r\n" each), validated as Node validates any header. */
export function headerBlock(headers: Record<string, string>): string {
  let block = "";
  for (const [name, value] of Object.entries(headers)) {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    block += `${name}: ${value}\r\n`;
  }
  return block;
}

/** Records the id the response to `req` will carry as x-request-id (only [A-Za-z0-9._:-] characters). */
export function setResponseRequestId(req: IncomingMessage, id: string): void {
  (req as WithId)[REQUEST_ID] = id;
}

/** Gives this response another header block than the default (one made by headerBlock). */
export function useHeaderBlock(res: ServerResponse, block: string): void {
  (res as WithBlock)[BLOCK] = block;
}

/**
 * A ServerResponse class whose responses carry `defaultBlock` (unless useHeaderBlock chose another) and
 * the x-request-id of their request; undefined when this Node.js does not build response heads through
 * `_storeHeader`.
 */
export function secureResponseClass(
  defaultBlock: string,
  // where the hook is looked up (tests pass one without it)
  base: object = ServerResponse.prototype,
): typeof ServerResponse | undefined {
  const store = (base as { _storeHeader?: StoreHeader })._storeHeader;
  if (typeof store !== "function" || store.length !== 2) return undefined;
  class SecureResponse extends ServerResponse {
    _storeHeader(firstLine: string, headers: unknown): void {
      const id = (this.req as WithId | undefined)?.[REQUEST_ID];
      const block = (this as WithBlock)[BLOCK] ?? defaultBlock;
      (store as StoreHeader).call(
        this,
        id === undefined ? firstLine + block : `${firstLine}${block}x-request-id: ${id}\r\n`,
        headers,
      );
    }
  }
  return SecureResponse as unknown as typeof ServerResponse;
}
