/**
 * Fuzzing the HTTP surface: a few thousand malformed bodies (random JSON, broken JSON, wrong types,
 * wrong content types, prototype-pollution keys, deep nesting, huge numbers) against every POST route.
 * No 5xx, no crash, and every non-200 answer is a JSON error.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, HR, start } from "./fixtures/server/helpers.js";

let srv: RunningServer;
beforeAll(async () => {
  srv = await start(HR, { bodyLimit: 64 * 1024 });
});
afterAll(async () => {
  await srv?.close();
});

const ROUTES = [
  "/predict",
  "/predict/batch",
  "/explain",
  "/models/hr/predict",
  "/v2/models/hr/infer",
  "/v2/models/hr/versions/1/infer",
];
const fieldNames = Object.keys(CLASSIC);

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(Number.MAX_VALUE, -0, 1e308, "NaN", "Infinity", "", "💥", null, true, [], {}),
);
/** Records close to valid: real field names with random values, some fields missing or extra. */
const nearRecord = fc
  .record(Object.fromEntries(fieldNames.map((f) => [f, anyValue])), { requiredKeys: [] })
  .map((r) => ({ ...r, ...(Math.random() < 0.1 ? { ["__proto__"]: { polluted: 1 } } : {}) }));
const v2Body = fc.record(
  {
    id: fc.oneof(fc.string(), anyValue),
    inputs: fc.oneof(
      anyValue,
      fc.array(
        fc.record(
          {
            name: fc.oneof(fc.constantFrom(...fieldNames, "features"), anyValue),
            shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 30 }), { maxLength: 3 }), anyValue),
            datatype: fc.oneof(
              fc.constantFrom("FP64", "FP32", "INT64", "BYTES", "BOOL", "FP16", "UINT8"),
              anyValue,
            ),
            data: fc.oneof(fc.array(anyValue, { maxLength: 30 }), anyValue),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 10 },
      ),
    ),
    outputs: fc.oneof(
      fc.array(fc.record({ name: fc.oneof(fc.constantFrom("predict", "raw", "leaf", "x"), anyValue) })),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);
const bodyText = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  nearRecord.map((r) => JSON.stringify(r)),
  fc.array(nearRecord, { maxLength: 5 }).map((r) => JSON.stringify(r)),
  v2Body.map((b) => JSON.stringify(b)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    "",
    "{",
    "[",
    "null",
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    "[".repeat(5000),
    JSON.stringify({ a: "x".repeat(70_000) }),
    "\u0000\u0001",
  ),
  nearRecord.map((r) => JSON.stringify(r).slice(0, -3)),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "",
);

it("answers thousands of malformed requests with 4xx JSON errors, never 5xx, never crashing", async () => {
  const cases = fc.sample(fc.tuple(fc.constantFrom(...ROUTES), bodyText, contentType), {
    numRuns: 3000,
    seed: 20261125,
  });
  const statuses = new Map<number, number>();
  let i = 0;
  const worker = async () => {
    while (i < cases.length) {
      const [route, body, ct] = cases[i++];
      const res = await fetch(srv.url + route, {
        method: "POST",
        headers: ct ? { "content-type": ct } : {},
        body,
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${route} ${ct} ${body.slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
      if (res.status !== 200) {
        const parsed = JSON.parse(text);
        expect(typeof parsed.error, text).toBe("string");
        expect(text).not.toMatch(/\n\s+at /);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  expect({} as Record<string, unknown>).not.toHaveProperty("polluted");
  expect({} as Record<string, unknown>).not.toHaveProperty("x");
  // Still serving.
  const ok = await fetch(`${srv.url}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(CLASSIC),
  });
  expect(ok.status).toBe(200);
  expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  // The sample reaches the handlers (validation), not just the body parser.
  expect(statuses.get(422) ?? 0).toBeGreaterThan(200);
  expect(statuses.get(400) ?? 0).toBeGreaterThan(200);
}, 60_000);
