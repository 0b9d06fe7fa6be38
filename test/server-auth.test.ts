// API-key checks (src/server/auth.ts): the Authorization header's parsing, byte-exact comparison of
// ASCII and non-ASCII keys, the length limit, and a reused scratch buffer that never leaks one
// presented key into the next comparison. Over HTTP, server-api.test.ts covers the 401s.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiKeys, MAX_API_KEY_BYTES } from "../src/server/http/api-keys.js";

const id = (k: string) => createHash("sha256").update(k, "utf8").digest("hex");

describe("ApiKeys", () => {
  const keys = new ApiKeys(["key-one", "clé-ü-2", "x".repeat(MAX_API_KEY_BYTES)]);

  it("accepts each configured key with the Bearer scheme, any case and spacing", () => {
    for (const h of ["Bearer key-one", "bearer key-one", "BEARER   key-one  ", "Bearer\tkey-one"]) {
      expect(keys.check(h), h).toBe(id("key-one"));
    }
    expect(keys.check("Bearer clé-ü-2")).toBe(id("clé-ü-2"));
    expect(keys.check(`Bearer ${"x".repeat(MAX_API_KEY_BYTES)}`)).toBe(id("x".repeat(MAX_API_KEY_BYTES)));
  });

  it("refuses everything else", () => {
    for (const h of [
      undefined,
      "",
      "key-one",
      "Bearer",
      "Bearer ",
      "Basic key-one",
      "Bearer key-one extra",
      "Bearer key-on",
      "Bearer key-one1",
      "Bearer key-onf",
      "Bearer KEY-ONE",
      "Bearer cle-u-2",
      "Bearer clé-ü-3",
      `Bearer ${"x".repeat(MAX_API_KEY_BYTES + 1)}`,
      `Bearer ${"é".repeat(MAX_API_KEY_BYTES)}`,
    ]) {
      expect(keys.check(h), String(h)).toBeUndefined();
    }
  });

  it("a long presented key leaves nothing behind for the next, shorter one", () => {
    expect(keys.check(`Bearer key-one${"z".repeat(200)}`)).toBeUndefined();
    expect(keys.check("Bearer key-one")).toBe(id("key-one"));
    expect(keys.check(`Bearer ${"é".repeat(100)}`)).toBeUndefined();
    expect(keys.check("Bearer key-one")).toBe(id("key-one"));
    // a configured key that is a prefix of the scratch's previous content
    const short = new ApiKeys(["ab"]);
    expect(short.check("Bearer abc")).toBeUndefined();
    expect(short.check("Bearer ab")).toBe(id("ab"));
  });

  it("refuses to configure empty or over-long keys", () => {
    expect(() => new ApiKeys([""])).toThrow(RangeError);
    expect(() => new ApiKeys(["y".repeat(MAX_API_KEY_BYTES + 1)])).toThrow(RangeError);
    expect(new ApiKeys([]).enabled).toBe(false);
    expect(keys.enabled).toBe(true);
  });
});

describe("ApiKeys against a plain reference", () => {
  // The reference: the Bearer grammar as a regular expression, the key compared as a string.
  const reference = (configured: string[], h: string | undefined) => {
    const m = h === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m || Buffer.byteLength(m[1], "utf8") > MAX_API_KEY_BYTES) return undefined;
    return configured.includes(m[1]) ? id(m[1]) : undefined;
  };
  const configured = [
    "k",
    "key-one",
    "clé-ü-2",
    "0123456789abcdef0123456789abcdef",
    "x".repeat(MAX_API_KEY_BYTES),
  ];
  const keys = new ApiKeys(configured);
  const alphabet = [
    "a",
    "k",
    "e",
    "y",
    "-",
    "o",
    "n",
    "x",
    "é",
    "ü",
    " ",
    "\t",
    "\u00a0",
    "\u3000",
    "€",
    "😀",
  ];

  it("agrees on configured keys, their near misses and random headers (fast and general paths)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("Bearer ", "bearer ", "BEARER\t", "Bearer  ", "Bearer", "Basic ", "", "Bearer\u00a0"),
        fc.oneof(
          fc.constantFrom(...configured),
          fc.constantFrom(...configured).map((k) => `${k}x`),
          fc.constantFrom(...configured).map((k) => k.slice(0, -1)),
          // same length, one character changed (the last word and the first are compared too)
          fc
            .tuple(fc.constantFrom(...configured), fc.nat(), fc.constantFrom("a", "z", "0"))
            .map(([k, i, c]) => {
              const at = i % k.length;
              return k.slice(0, at) + (k[at] === c ? "b" : c) + k.slice(at + 1);
            }),
          fc.constantFrom(...configured).map((k) => `${k} `),
          fc.array(fc.constantFrom(...alphabet), { maxLength: 300 }).map((a) => a.join("")),
          fc.string({ maxLength: 40 }),
        ),
        (scheme, key) => {
          const h = scheme + key;
          expect(keys.check(h), JSON.stringify(h)).toBe(reference(configured, h));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("a key that is a prefix of a longer configured key does not match it", () => {
    const k = new ApiKeys(["abcdefgh", "abcd"]);
    expect(k.check("Bearer abcd")).toBe(id("abcd"));
    expect(k.check("Bearer abcdefg")).toBeUndefined();
    expect(k.check("Bearer abcdefgh")).toBe(id("abcdefgh"));
    expect(k.check("Bearer abcdefghi")).toBeUndefined();
  });
});
