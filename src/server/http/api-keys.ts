/**
 * API keys: `Authorization: Bearer <key>`. A presented key is compared with every configured key over a
 * fixed-size, zero-padded slot, every key and every word of the slot each time, lengths compared without
 * branching, so neither a partial match, nor which key matched, nor a key's length leaks through timing.
 *
 * Why the comparison is written here rather than crypto.timingSafeEqual: that is a C++ call whose byte
 * loop over the 260-byte slot (CRYPTO_memcmp) cost more than the rest of the check (about 2,300
 * instructions a request, counted with callgrind). The loop below XORs 32-bit words and ORs the
 * differences together, with no branch on the data, the way constant-time comparisons are written in
 * JavaScript (tweetnacl's crypto_verify), and no C++ call. It covers the words of the longest configured
 * key: the same words for every request whatever is presented (a longer presented key differs in its
 * length, which is compared too), so the time still depends on nothing an attacker sends.
 * Padding instead of hashing both sides: a SHA-256 per request cost ~1 µs.
 */
import { createHash } from "node:crypto";

/** Longest accepted key, in UTF-8 bytes. */
export const MAX_API_KEY_BYTES = 256;
// Room for one more (multi-byte) character, so a longer presented key is seen as too long, not cut.
// A multiple of 4: the slot is compared as 32-bit words.
const SLOT = MAX_API_KEY_BYTES + 4;
const WORDS = SLOT / 4;

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const PREFIX = "Bearer ";

/**
 * The key of a header that is exactly "Bearer <key>" with a key of visible ASCII characters (the usual
 * form), copied into `out`; returns its byte count, or -1 when the header has another form. Equivalent to
 * BEARER for those headers, without making a match array and a substring.
 */
function copyPlainBearer(header: string, out: Uint8Array): number {
  const n = header.length - PREFIX.length;
  if (n <= 0 || n > MAX_API_KEY_BYTES || !header.startsWith(PREFIX)) return -1;
  for (let i = 0; i < n; i++) {
    const c = header.charCodeAt(PREFIX.length + i);
    if (c < 0x21 || c > 0x7e) return -1;
    out[i] = c;
  }
  return n;
}

/** The UTF-8 bytes of `key` into `out` (SLOT bytes); returns the byte count (> MAX_API_KEY_BYTES when too long). */
function writeKey(key: string, out: Buffer): number {
  if (key.length > SLOT) return SLOT;
  return out.write(key, 0, "utf8");
}

interface Key {
  words: Int32Array;
  bytes: number;
  /** SHA-256 hex of the key: what rate limiting and logs see instead of the key. */
  id: string;
}

export class ApiKeys {
  private readonly keys: Key[];
  /** Words compared: those of the longest configured key. */
  private readonly words: number;
  // The presented key's slot, as bytes (written) and as words (compared).
  private readonly slot = new ArrayBuffer(SLOT);
  private readonly scratch = Buffer.from(this.slot);
  private readonly scratchWords = new Int32Array(this.slot);

  constructor(keys: string[]) {
    this.keys = keys.map((k, i) => {
      const raw = Buffer.from(k, "utf8");
      if (raw.length === 0 || raw.length > MAX_API_KEY_BYTES) {
        throw new RangeError(`API key ${i + 1} must be 1 to ${MAX_API_KEY_BYTES} bytes, got ${raw.length}`);
      }
      const words = new Int32Array(WORDS);
      new Uint8Array(words.buffer).set(raw);
      return { words, bytes: raw.length, id: createHash("sha256").update(raw).digest("hex") };
    });
    this.words = Math.ceil(Math.max(0, ...this.keys.map((k) => k.bytes)) / 4);
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The id (SHA-256 hex) of the matching key, or undefined. */
  check(authorization: string | undefined): string | undefined {
    if (!authorization) return undefined;
    const presented = this.scratch;
    let n = copyPlainBearer(authorization, presented);
    if (n < 0) {
      const m = BEARER.exec(authorization);
      if (!m) return undefined;
      n = writeKey(m[1], presented);
    }
    if (n > MAX_API_KEY_BYTES) return undefined;
    const words = this.words;
    // Zero what a longer earlier key left in the compared words (a loop: a few bytes, where fill() is a
    // call into C++).
    for (let i = n; i < words * 4; i++) presented[i] = 0;
    const p = this.scratchWords;
    let match: string | undefined;
    for (const k of this.keys) {
      const w = k.words;
      let diff = k.bytes ^ n;
      for (let i = 0; i < words; i++) diff |= w[i] ^ p[i];
      if (diff === 0) match = k.id;
    }
    return match;
  }
}
