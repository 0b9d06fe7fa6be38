/**
 * API keys: `Authorization: Bearer <key>`. Keys are kept only as SHA-256 digests, and a presented key is
 * compared with every digest by crypto.timingSafeEqual (equal-length digests, every key checked), so
 * neither the match nor its position leaks through timing.
 */
import * as crypto from "node:crypto";

const { createHash, timingSafeEqual } = crypto;
// crypto.hash (Node >= 20.12) is the one-shot form, about twice as fast as createHash per request.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: "buffer") => Buffer }).hash;
const sha256 = oneShot
  ? (s: string) => oneShot("sha256", s, "buffer")
  : (s: string) => createHash("sha256").update(s, "utf8").digest();

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: string[]) {
    this.digests = keys.map(sha256);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The digest of the matching key (hex, for rate limiting and logs), or undefined. */
  check(authorization: string | undefined): string | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return undefined;
    const presented = sha256(m[1]);
    let match: Buffer | undefined;
    for (const d of this.digests) if (timingSafeEqual(d, presented)) match = d;
    return match?.toString("hex");
  }
}
