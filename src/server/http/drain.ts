/**
 * Closing the HTTP server without cutting a response. Node's server.close() (and closeIdleConnections,
 * which it calls) destroys every connection whose response has *ended*, but a response ends when the
 * handler hands over its last byte, not when the bytes are out: a large response to a slow reader is
 * still in the socket's buffer, and destroying the socket then cuts it (a 20 MB response was cut while
 * the server logged "shutdown complete"). Here a connection counts as idle only when its response is
 * finished (`writableFinished`: every byte handed to the kernel, which still delivers them after the
 * socket is closed) and no request is half received; only idle connections are closed.
 *
 * The sockets are tracked from the 'connection' event (one listener per connection, nothing per request).
 */
import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

type ConnectionSocket = Socket & {
  /** The response currently written on this connection (Node's own field; undefined between responses). */
  _httpMessage?: ServerResponse | null;
  /** Node's HTTP parser of the connection, with the request it is reading. */
  parser?: { incoming?: { complete?: boolean } | null } | null;
};

/** Whether a connection is between exchanges: no response being written, no request body arriving. */
export function isIdle(socket: ConnectionSocket): boolean {
  const res = socket._httpMessage;
  if (res && !res.writableFinished) return false;
  const incoming = socket.parser?.incoming;
  return !(incoming && incoming.complete === false);
}

/**
 * Makes `server.close()` and `closeIdleConnections()` close only idle connections (see isIdle); returns
 * a function that closes the idle ones now (to call while draining: a busy connection becomes idle when
 * its response is out).
 */
export function drainGracefully(server: Server): () => void {
  const sockets = new Set<ConnectionSocket>();
  server.on("connection", (socket: ConnectionSocket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const closeIdle = () => {
    for (const s of sockets) if (isIdle(s)) s.destroy();
  };
  // Node's close() calls this method; the instance's own replaces the prototype's.
  server.closeIdleConnections = closeIdle;
  return closeIdle;
}
