/**
 * Failed API-key attempts per client IP, shared by REST and gRPC: after `max` failures within a minute,
 * every request from that IP that needs a key is refused (429 / RESOURCE_EXHAUSTED) until the minute
 * since its first failure is over, without its key being looked at. A locked-out client that then sends
 * the right key is refused too: answering it would tell a guesser which guess was right. Requests with
 * a valid key never count, and the health probes need no key, so they are never refused.
 *
 * Counted in @fastify/rate-limit's own in-memory store (an LRU of 10,000 clients, the window per client
 * from its first failure); the request path reads it only while some client failed in the last window,
 * so a server whose clients all send good keys does no extra work.
 */
import { createRequire } from "node:module";

interface Window {
  current: number;
  ttl: number;
}
interface Store {
  incr(key: string, cb: (err: Error | null, w: Window) => void, timeWindow: number, max: number): void;
  read(key: string, cb: (err: Error | null, w: Window) => void, timeWindow: number, max: number): void;
}
type StoreClass = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => Store;

const LocalStore = createRequire(import.meta.url)("@fastify/rate-limit/store/LocalStore.js") as StoreClass;

export const AUTH_WINDOW_MS = 60_000;

export class AuthFailures {
  private readonly store = new LocalStore(false, false, 10_000);
  /** Date.now() of the latest failure from anyone (0: none in the current window). */
  private lastFailure = 0;

  constructor(
    /** Failures per client per minute before it is locked out; 0: never. */
    readonly max: number,
    readonly windowMs = AUTH_WINDOW_MS,
  ) {}

  get enabled(): boolean {
    return this.max > 0;
  }

  /** Whether anyone failed lately (the request path looks a client up only then). */
  get anyRecent(): boolean {
    return this.lastFailure !== 0;
  }

  /** Milliseconds until `client` may try again, 0 when it is not locked out. */
  lockedFor(client: string): number {
    if (this.lastFailure === 0) return 0;
    if (Date.now() - this.lastFailure >= this.windowMs) {
      this.lastFailure = 0;
      return 0;
    }
    let w: Window = { current: 0, ttl: 0 };
    this.store.read(client, (_err, got) => (w = got), this.windowMs, this.max);
    return w.current >= this.max ? Math.max(1, w.ttl) : 0;
  }

  /** Records a failed attempt; returns how long `client` is now locked out (0: not yet). */
  fail(client: string): number {
    if (!this.enabled) return 0;
    this.lastFailure = Date.now();
    let w: Window = { current: 0, ttl: 0 };
    this.store.incr(client, (_err, got) => (w = got), this.windowMs, this.max);
    return w.current >= this.max ? Math.max(1, w.ttl) : 0;
  }
}

/** The client's message while it is locked out. */
export function lockedOutMessage(max: number, ms: number): string {
  return `too many failed API-key attempts from this address (${max} a minute): retry in ${Math.ceil(ms / 1000)} s`;
}
