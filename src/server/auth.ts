/**
 * API keys: `Authorization: Bearer <key>`. A presented key is compared with every configured key by
 * crypto.timingSafeEqual over a fixed-size, zero-padded buffer (every key checked, lengths compared
 * without branching), so neither a partial match, nor which key matched, nor a key's length leaks
 * through timing. Padding instead of hashing both sides: a SHA-256 per request cost ~1 µs, the largest
 * single item of the auth check in server profiles.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Longest accepted key, in UTF-8 bytes. */
export const MAX_API_KEY_BYTES = 256;
// Room for one more (multi-byte) character, so a longer presented key is seen as too long, not cut.
const SLOT = MAX_API_KEY_BYTES + 4;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The UTF-8 bytes of `key` into `out` (SLOT bytes); returns the byte count (more than MAX_API_KEY_BYTES
 * when too long). ASCII keys, the usual kind, are copied in a loop: Buffer.write is a C++ binding call.
 */
function writeKey(key: string, out: Buffer): number {
  if (key.length <= MAX_API_KEY_BYTES) {
    let ascii = true;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      if (c > 127) {
        ascii = false;
        break;
      }
      out[i] = c;
    }
    if (ascii) return key.length;
  }
  return out.write(key, 0, "utf8");
}

interface Key {
  padded: Buffer;
  bytes: number;
  /** SHA-256 hex of the key: what rate limiting and logs see instead of the key. */
  id: string;
}

export class ApiKeys {
  private readonly keys: Key[];
  private readonly scratch = Buffer.alloc(SLOT);

  constructor(keys: string[]) {
    this.keys = keys.map((k, i) => {
      const raw = Buffer.from(k, "utf8");
      if (raw.length === 0 || raw.length > MAX_API_KEY_BYTES) {
        throw new RangeError(`API key ${i + 1} must be 1 to ${MAX_API_KEY_BYTES} bytes, got ${raw.length}`);
      }
      const padded = Buffer.alloc(SLOT);
      raw.copy(padded);
      return { padded, bytes: raw.length, id: createHash("sha256").update(raw).digest("hex") };
    });
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The id (SHA-256 hex) of the matching key, or undefined. */
  check(authorization: string | undefined): string | undefined {
    if (!authorization) return undefined;
    const m = BEARER.exec(authorization);
    if (!m) return undefined;
    const presented = this.scratch;
    const n = writeKey(m[1], presented);
    if (n > MAX_API_KEY_BYTES) return undefined;
    // Uint8Array's fill, a V8 builtin: Buffer's own fill goes through a C++ binding (~0.1 µs a request)
    Uint8Array.prototype.fill.call(presented, 0, n);
    let match: string | undefined;
    for (const k of this.keys) {
      // both comparisons always run; & rather than && so the second does not depend on the first
      const same = Number(timingSafeEqual(k.padded, presented)) & Number(k.bytes === n);
      if (same === 1) match = k.id;
    }
    return match;
  }
}
