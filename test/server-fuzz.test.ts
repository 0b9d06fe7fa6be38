/**
 * Fuzzing the HTTP surface: a few thousand malformed bodies (random JSON, broken JSON, wrong types,
 * wrong content types, prototype-pollution keys, deep nesting, huge numbers) against every POST route.
 * No 5xx, no crash, and every non-200 answer is a JSON error. Then the Open Inference Protocol with an
 * oracle, over REST and gRPC (below).
 */
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, HR, ROOT, start } from "./fixtures/server/helpers.js";

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

/*
 * V2 with an oracle: random tensors (every datatype, values of every JSON type, shapes right and wrong,
 * data flat or nested to any depth, zero rows) and random outputs (repeated, unknown, as binary data),
 * over REST against the shipped bundle and over gRPC. Never a 5xx (or INTERNAL / UNKNOWN), every error a
 * short message, and a request answered 200 only if every value is what its datatype says, every tensor
 * has rows, and the data's nesting fits its shape.
 */
const V2_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
];
const RANGES: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const V2_FIELDS = [
  "satisfaction_level",
  "last_evaluation",
  "number_project",
  "average_montly_hours",
  "time_spend_company",
  "Work_accident",
  "promotion_last_5years",
  "sales",
  "salary",
];

/** Whether a JSON value is what a datatype says (null: missing, in any tensor). */
function fits(datatype: string, v: unknown): boolean {
  if (v === null) return true;
  if (datatype === "BOOL") return typeof v === "boolean";
  if (datatype === "BYTES") return typeof v === "string";
  if (typeof v !== "number") return false;
  if (datatype === "FP64") return true;
  if (datatype === "FP32") return Number.isFinite(Math.fround(v));
  const r = RANGES[datatype];
  return r !== undefined && Number.isInteger(v) && v >= r[0] && v <= r[1];
}

function depthOf(v: unknown): number {
  let depth = 0;
  let level: unknown[] = [v];
  while (level.some(Array.isArray)) {
    depth++;
    level = level.filter(Array.isArray).flat();
  }
  return depth;
}

const scalar = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1, 0.5, 0.97, 1e10, -1, 2 ** 53, 1e39, 127, 128, -129, 65536),
  fc.boolean(),
  fc.constantFrom("sales", "low", "x", "1", ""),
  fc.constant(null),
  fc.constantFrom({}, { a: { b: 1 } }),
);
const v2Tensor = fc
  .record({
    name: fc.constantFrom(...V2_FIELDS, "features", "features", "nope"),
    datatype: fc.constantFrom(...V2_DATATYPES, "FP64", "FP64", "INT64", "BYTES", "BOOL"),
    rows: fc.integer({ min: 0, max: 4 }),
    width: fc.constantFrom(1, 20, 20, 3),
    shapeKind: fc.constantFrom("field", "matrix", "matrix", "wrong"),
    nesting: fc.constantFrom("flat", "flat", "rows", "deep"),
    values: fc.array(scalar, { minLength: 0, maxLength: 90 }),
    uniform: fc.option(scalar, { nil: undefined }),
  })
  .map((t) => {
    const shape =
      t.shapeKind === "field"
        ? [t.rows]
        : t.shapeKind === "matrix"
          ? [t.rows, t.width]
          : [t.rows, t.width, 2];
    const count = shape.reduce((a, b) => a * b, 1);
    let flat = t.values.slice(0, count);
    if (t.uniform !== undefined || flat.length < count)
      flat = Array.from({ length: count }, (_, i) =>
        t.uniform !== undefined ? t.uniform : (t.values[i % Math.max(1, t.values.length)] ?? 0),
      );
    let data: unknown =
      t.nesting === "rows" && shape.length > 1
        ? Array.from({ length: shape[0] }, (_, r) =>
            flat.slice(r * (count / Math.max(1, shape[0])), (r + 1) * (count / Math.max(1, shape[0]))),
          )
        : flat;
    if (t.nesting === "deep") for (let i = 0; i < 40; i++) data = [data];
    return { name: t.name, datatype: t.datatype, shape, data };
  });
/** The shipped bundle's fields with their declared datatypes and a good value each. */
const GOOD: [string, string, unknown][] = [
  ["satisfaction_level", "FP64", 0.38],
  ["last_evaluation", "FP64", 0.53],
  ["number_project", "INT64", 2],
  ["average_montly_hours", "INT64", 157],
  ["time_spend_company", "INT64", 3],
  ["Work_accident", "BOOL", false],
  ["promotion_last_5years", "BOOL", true],
  ["sales", "BYTES", "sales"],
  ["salary", "BYTES", "low"],
];
/** A valid request, then one mutation or none: where a contradiction would slip through, if it could. */
const nearValid = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 8 }),
    fc.constantFrom("none", "none", "datatype", "value", "rows", "nest", "shape"),
    fc.constantFrom(...V2_DATATYPES),
    scalar,
  )
  .map(([n, matrix, at, mutation, datatype, value]) => {
    const inputs = matrix
      ? [
          {
            name: "features",
            datatype: "FP64",
            shape: [n, 20],
            data: Array.from({ length: n * 20 }, (_, i) => (i % 4) / 4) as unknown[],
          },
        ]
      : GOOD.map(([name, dt, v]) => ({
          name,
          datatype: dt,
          shape: [n],
          data: Array(n).fill(v) as unknown[],
        }));
    const t = inputs[matrix ? 0 : at];
    if (mutation === "datatype") t.datatype = datatype;
    if (mutation === "value") t.data[0] = value;
    if (mutation === "rows") for (const i of inputs) i.shape[0] = 0;
    if (mutation === "nest") t.data = [t.data];
    if (mutation === "shape") t.shape = [...t.shape, 1];
    return inputs;
  });
const v2Request = fc.record({
  inputs: fc.oneof(
    nearValid,
    nearValid,
    fc.array(v2Tensor, { minLength: 1, maxLength: 3 }),
    // one tensor per field, values of one kind each
    fc
      .tuple(
        fc.integer({ min: 0, max: 3 }),
        fc.array(scalar, { minLength: 9, maxLength: 9 }),
        fc.constantFrom(...V2_DATATYPES, "FP64", "BYTES"),
      )
      .map(([n, vs, dt]) =>
        V2_FIELDS.map((name, i) => ({ name, datatype: dt, shape: [n], data: Array(n).fill(vs[i]) })),
      ),
  ),
  outputs: fc.option(
    fc.array(
      fc.record({
        name: fc.constantFrom("predict", "predict_proba", "raw", "leaf", "contrib", "x", "predict"),
        parameters: fc.option(fc.record({ binary_data: fc.boolean() }), { nil: undefined }),
      }),
      { maxLength: 7 },
    ),
    { nil: undefined },
  ),
});

/** Why the oracle says a request must not be answered 200 (undefined: it may be). */
function mustFail(req: {
  inputs: { name: string; datatype: string; shape: number[]; data: unknown }[];
  outputs?: { name: string }[];
}): string | undefined {
  for (const t of req.inputs) {
    if (t.shape.length === 0 || t.shape[0] === 0) return `${t.name}: no rows`;
    if (t.datatype === "FP16") return "FP16 in JSON";
    if (depthOf(t.data) > Math.max(1, t.shape.length)) return `${t.name}: nested deeper than its shape`;
    const flat = (t.data as unknown[]).flat(Number.POSITIVE_INFINITY);
    const bad = flat.find((v) => !fits(t.datatype, v));
    if (bad !== undefined || flat.some((v) => !fits(t.datatype, v)))
      return `${t.name}: ${JSON.stringify(bad)} is not ${t.datatype}`;
  }
  const names = (req.outputs ?? []).map((o) => o.name);
  if (new Set(names).size !== names.length) return "an output twice";
  if (names.includes("x")) return "an unknown output";
  return undefined;
}

it("V2 REST: random tensors and outputs; 200 only when every value fits its datatype", async () => {
  const shipped = await start(join(ROOT, "models/hr-attrition"), { bodyLimit: 64 * 1024 });
  try {
    const cases = fc.sample(v2Request, { numRuns: 1500, seed: 20261201 });
    const statuses = new Map<number, number>();
    let i = 0;
    const worker = async () => {
      while (i < cases.length) {
        const req = cases[i++];
        const res = await fetch(`${shipped.url}/v2/models/hr-attrition/infer`, {
          method: "POST",
          body: JSON.stringify(req),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const label = `${JSON.stringify(req).slice(0, 300)} → ${text.slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        if (res.status === 200) {
          expect(mustFail(req), label).toBeUndefined();
        } else {
          const body = JSON.parse(text);
          expect(Object.keys(body), label).toEqual(["error"]);
          expect(body.error.length, label).toBeLessThan(1000);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // The sample reaches every outcome: answers, and refusals of each kind.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(500);
  } finally {
    await shipped.close();
  }
}, 60_000);

it("gRPC ModelInfer: random typed contents and random bytes; never INTERNAL or UNKNOWN", async () => {
  const { freePort, grpcClient, grpcCall } = await import("./fixtures/server/helpers.js");
  const grpcMod = await import("@grpc/grpc-js");
  const shipped = await start(join(ROOT, "models/hr-attrition"), { grpcPort: await freePort() });
  const client = grpcClient(shipped.grpcPort as number);
  const raw = new grpcMod.Client(`127.0.0.1:${shipped.grpcPort}`, grpcMod.credentials.createInsecure());
  const FIELD: Record<string, string> = {
    BOOL: "bool_contents",
    BYTES: "bytes_contents",
    FP32: "fp32_contents",
    FP64: "fp64_contents",
    INT64: "int64_contents",
    UINT64: "uint64_contents",
  };
  try {
    const cases = fc.sample(fc.tuple(v2Tensor, fc.constantFrom(...Object.keys(FIELD), "INT32", "UINT8")), {
      numRuns: 300,
      seed: 7,
    });
    for (const [t, field] of cases) {
      const flat = (t.data as unknown[]).flat(Number.POSITIVE_INFINITY);
      const key = FIELD[field] ?? (field.startsWith("U") ? "uint_contents" : "int_contents");
      const values = flat.map((v) =>
        key === "bytes_contents"
          ? Buffer.from(String(v))
          : key === "bool_contents"
            ? Boolean(v)
            : key.includes("64") && key !== "fp64_contents"
              ? String(typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0)
              : typeof v === "number"
                ? v
                : 0,
      );
      const r = await grpcCall(client, "ModelInfer", {
        model_name: "hr-attrition",
        inputs: [{ name: t.name, datatype: t.datatype, shape: t.shape, contents: { [key]: values } }],
      });
      if (!r.ok) {
        expect([grpcMod.status.INTERNAL, grpcMod.status.UNKNOWN], r.error.details).not.toContain(
          r.error.code,
        );
        expect(r.error.details.length).toBeLessThan(1000);
      } else {
        expect(t.shape[0]).toBeGreaterThan(0);
      }
    }
    const junk = fc.sample(fc.uint8Array({ maxLength: 64 }), { numRuns: 200, seed: 9 });
    for (const bytes of junk) {
      const err = await new Promise<import("@grpc/grpc-js").ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          "/inference.GRPCInferenceService/ModelInfer",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(bytes),
          (e) => resolve(e),
        ),
      );
      if (err) expect([grpcMod.status.INTERNAL, grpcMod.status.UNKNOWN], err.details).not.toContain(err.code);
    }
  } finally {
    raw.close();
    client.close();
    await shipped.close();
  }
}, 60_000);
