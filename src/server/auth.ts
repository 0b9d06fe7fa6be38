/**
 * API keys: `Authorization: Bearer <key>`. Keys are kept only as SHA-256 digests, and a presented key is
 * compared with every digest by crypto.timingSafeEqual (equal-length digests, every key checked), so
 * neither the match nor its position leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

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
