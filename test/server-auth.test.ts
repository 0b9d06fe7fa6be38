// API-key checks (src/server/auth.ts): the Authorization header's parsing, byte-exact comparison of
// ASCII and non-ASCII keys, the length limit, and a reused scratch buffer that never leaks one
// presented key into the next comparison. Over HTTP, server-api.test.ts covers the 401s.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApiKeys, MAX_API_KEY_BYTES } from "../src/server/auth.js";

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
