/**
 * The headers every response carries, over real HTTP: the API's security headers on JSON answers of every
 * kind (success, 4xx from validation, parsing, auth, routing and body limits, 5xx), helmet's set on the
 * docs pages, and x-request-id on all of them (the caller's when it sent a valid one). Once with the
 * pre-validated header blocks (src/server/response-headers.ts) and once through fastify: both must give
 * the same headers, each exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../src/server/config.js";
import { headerBlock, secureResponseClass } from "../src/server/http/response-headers.js";
import { type RunningServer, startServer } from "../src/server/server.js";
import { CLASSIC, HR } from "./fixtures/server/helpers.js";

const KEY = "header-test-key";
const API = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

interface Case {
  name: string;
  path: string;
  init?: RequestInit;
  status: number;
}

const auth = { authorization: `Bearer ${KEY}` };
const json = { ...auth, "content-type": "application/json" };
const CASES: Case[] = [
  {
    name: "a prediction",
    path: "/predict",
    init: { method: "POST", headers: json, body: JSON.stringify(CLASSIC) },
    status: 200,
  },
  {
    name: "a validation error",
    path: "/predict",
    init: { method: "POST", headers: json, body: JSON.stringify({ ...CLASSIC, salary: "huge" }) },
    status: 422,
  },
  {
    name: "malformed JSON",
    path: "/predict",
    init: { method: "POST", headers: json, body: "{" },
    status: 400,
  },
  {
    name: "a wrong content type",
    path: "/predict",
    init: { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: "a,b" },
    status: 415,
  },
  {
    name: "a body over the limit",
    path: "/predict",
    init: { method: "POST", headers: json, body: JSON.stringify({ pad: "x".repeat(70_000) }) },
    status: 413,
  },
  { name: "no API key", path: "/predict", init: { method: "POST", body: "{}" }, status: 401 },
  { name: "no such route", path: "/nope", init: { headers: auth }, status: 404 },
  { name: "a V2 error", path: "/v2/models/none", init: { headers: auth }, status: 404 },
  { name: "a health check", path: "/healthz", status: 200 },
  { name: "metrics", path: "/metrics", init: { headers: auth }, status: 200 },
];

describe.each([
  ["pre-validated header blocks", true],
  ["headers set through fastify", false],
])("response headers: %s", (_label, headerBlocks) => {
  let srv: RunningServer;
  beforeAll(async () => {
    const config = resolveConfig(
      HR,
      { profile: "test", port: 0, logLevel: "silent", docs: true, bodyLimit: "64kb" },
      { LGBM_API_KEYS: KEY },
    );
    srv = await startServer(config, { headerBlocks });
  });
  afterAll(() => srv?.close());

  it.each(CASES)("$name ($status): the API's security headers, once each, and a request id", async (c) => {
    const r = await fetch(srv.url + c.path, c.init);
    const text = await r.text();
    expect(r.status).toBe(c.status);
    for (const [name, value] of Object.entries(API)) expect(r.headers.get(name), name).toBe(value);
    const id = r.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    if (c.status >= 400 && c.path !== "/v2/models/none") expect(JSON.parse(text).request_id).toBe(id);
  });

  it("echoes a caller's x-request-id (on errors too) and replaces one it will not log", async () => {
    for (const c of CASES.slice(0, 3)) {
      const r = await fetch(srv.url + c.path, {
        ...c.init,
        headers: { ...(c.init?.headers as Record<string, string>), "x-request-id": "caller-42" },
      });
      expect(r.headers.get("x-request-id")).toBe("caller-42");
    }
    const bad = await fetch(`${srv.url}/healthz`, { headers: { "x-request-id": "two words" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f]{12}-/);
  });

  it("the docs pages get helmet's headers with a CSP that lets the local pages run, not the API's", async () => {
    for (const path of ["/docs", "/redoc"]) {
      const r = await fetch(srv.url + path, { headers: auth, redirect: "manual" });
      expect(r.status, path).toBeLessThan(400);
      const csp = r.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).not.toContain("default-src 'none'");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      expect(r.headers.get("x-request-id")).toMatch(/.+/);
    }
  });
});

describe("header blocks", () => {
  it("are validated as Node validates any header", () => {
    expect(headerBlock({ "x-a": "1", "x-b": "two words" })).toBe("x-a: 1\r\nx-b: two words\r\n");
    expect(() => headerBlock({ "bad name": "1" })).toThrow(TypeError);
    expect(() => headerBlock({ "x-a": "line\r\nx-injected: 1" })).toThrow(TypeError);
  });

  it("are not used on a Node.js whose responses have no _storeHeader to extend", () => {
    expect(secureResponseClass("x-a: 1\r\n", {})).toBeUndefined();
    expect(secureResponseClass("x-a: 1\r\n")).toBeTypeOf("function");
  });
});
