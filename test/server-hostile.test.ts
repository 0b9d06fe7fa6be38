/**
 * A hostile client against a real server (issue 14): requests whose response would be far larger than
 * themselves are refused before any work (V2 REST and gRPC, /predict/batch, /explain); nesting of any
 * depth is a short 4xx; values that contradict their datatype and tensors without rows are refused;
 * failed API keys are limited per client address, and the probes tell nothing; errors before routing
 * carry the security headers, a request id and the error body; bodies in another charset or compressed
 * are refused; no answer shows the server's paths or echoes unbounded input.
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import {
  CLASSIC,
  freePort,
  get,
  grpcCall,
  grpcClient,
  HR,
  parseRawResponse,
  post,
  ROOT,
  rawHttp,
  start,
} from "./fixtures/server/helpers.js";

const BUNDLE = join(ROOT, "models/hr-attrition"); // 100 trees, 20 encoded features
const NAME = "hr-attrition";
const INFER = `/v2/models/${NAME}/infer`;
const NF = 20;
/** Every answer's error message stays short, whatever was sent. */
const SHORT = 1000;

const features = (n: number, datatype = "FP64") => ({
  name: "features",
  shape: [n, NF],
  datatype,
  data: Array.from({ length: n * NF }, (_, i) => (i % 7) / 7),
});

let srv: RunningServer;
let client: ReturnType<typeof grpcClient>;
const tmp = mkdtempSync(join(tmpdir(), "lgbm-hostile-"));
beforeAll(async () => {
  srv = await start(BUNDLE, { maxResponseBytes: "200kb", grpcPort: await freePort() });
  client = grpcClient(srv.grpcPort as number);
});
afterAll(async () => {
  client?.close();
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("responses far larger than the request are refused before the work (item 2)", () => {
  it("V2 REST: estimated from rows × output widths, JSON or binary; without outputs, every declared one counts", async () => {
    // 250 rows × (predict, predict_proba, raw, leaf: 100, contrib: 21) as JSON: about 245 KB > 200 KB.
    const all = await post(srv.url, INFER, { inputs: [features(250)] });
    expect(all.status).toBe(400);
    expect(all.body.error).toMatch(/response would take about .* over the server's limit of 200\.0 KiB/);
    expect(all.body.error).toMatch(/without outputs, every output the model declares is returned/);
    // The same rows asking only for what they need are answered.
    const proba = await post(srv.url, INFER, {
      inputs: [features(200)],
      outputs: [{ name: "predict_proba" }],
    });
    expect(proba.status).toBe(200);
    expect(proba.body.outputs[0].shape).toEqual([200, 2]);
    // leaf + contrib: over as JSON (about 226 KB), under as binary data (about 142 KB).
    const big = [{ name: "leaf" }, { name: "contrib" }];
    expect((await post(srv.url, INFER, { inputs: [features(250)], outputs: big })).status).toBe(400);
    const bin = await fetch(srv.url + INFER, {
      method: "POST",
      body: JSON.stringify({
        inputs: [features(250)],
        outputs: big,
        parameters: { binary_data_output: true },
      }),
    });
    expect(bin.status).toBe(200);
    expect(Number(bin.headers.get("inference-header-content-length"))).toBeGreaterThan(0);
    // 20,000 outputs in a request: refused by its schema (at most one of each output).
    const many = await post(srv.url, INFER, {
      inputs: [features(1)],
      outputs: Array.from({ length: 20_000 }, () => ({ name: "leaf" })),
    });
    expect(many.status).toBe(400);
    expect(many.body.error.length).toBeLessThan(SHORT);
  });

  it("V2 REST: SHAP values for 20,000 rows (800 KB, about 10 s of CPU) are refused before any of it runs", async () => {
    const s = await start(BUNDLE); // the default budgets: 32 MiB of response, 2 s of work
    try {
      const t0 = performance.now();
      const compact = {
        ...features(0),
        shape: [20_000, NF],
        data: Array.from({ length: 20_000 * NF }, (_, i) => i % 3),
      };
      const r = await post(s.url, INFER, { inputs: [compact], outputs: [{ name: "contrib" }] });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(
        /would take about .* s of CPU \(20000 rows; per row: contrib .*--max-work-ms/,
      );
      expect(performance.now() - t0).toBeLessThan(3000);
      const few = await post(s.url, INFER, { inputs: [features(100)], outputs: [{ name: "contrib" }] });
      expect(few.status).toBe(200);
      expect(few.body.outputs[0].shape).toEqual([100, 21]);
    } finally {
      await s.close();
    }
  });

  it("/predict/batch and /explain answer 413 naming the limit", async () => {
    const rows = (n: number) => Array.from({ length: n }, () => ({ ...CLASSIC }));
    const over = await post(srv.url, "/predict/batch", rows(4000)); // about 4,000 × 61 bytes
    expect(over.status).toBe(413);
    expect(over.body.code).toBe("ERR_RESPONSE_TOO_LARGE");
    expect(over.body.error).toMatch(/4000 records.*--max-response-bytes.*fewer records/);
    expect((await post(srv.url, "/predict/batch", rows(1000))).status).toBe(200);
    const tiny = await start(HR, { maxResponseBytes: "512" });
    try {
      const ex = await post(tiny.url, "/explain", CLASSIC);
      expect(ex.status).toBe(413);
      expect(ex.body.code).toBe("ERR_RESPONSE_TOO_LARGE");
      expect((await post(tiny.url, "/predict", CLASSIC)).status).toBe(200);
    } finally {
      await tiny.close();
    }
  });

  it("gRPC ModelInfer: RESOURCE_EXHAUSTED before predicting", async () => {
    const n = 400; // every declared output, raw: about 240 KB
    const data = Array.from({ length: n * NF }, (_, i) => (i % 5) / 5);
    const over = await grpcCall(client, "ModelInfer", {
      model_name: NAME,
      inputs: [{ name: "features", datatype: "FP64", shape: [n, NF] }],
      raw_input_contents: [Buffer.from(new Float64Array(data).buffer)],
    });
    expect(over.ok).toBe(false);
    if (!over.ok) {
      expect(over.error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(over.error.details).toMatch(/over the server's limit/);
    }
    const one = await grpcCall(client, "ModelInfer", {
      model_name: NAME,
      inputs: [{ name: "features", datatype: "FP64", shape: [n, NF] }],
      outputs: [{ name: "predict" }],
      raw_input_contents: [Buffer.from(new Float64Array(data).buffer)],
    });
    expect(one.ok).toBe(true);
  });
});

/** `[[[…0…]]]` nested `depth` deep, as JSON text (JSON.stringify itself would overflow). */
const deepArray = (depth: number) => `${"[".repeat(depth)}0${"]".repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const v2Body = (data: string, shape = "[1, 20]") =>
  `{"inputs":[{"name":"features","shape":${shape},"datatype":"FP64","data":${data}}]}`;

describe("nesting of any depth is a short 4xx (item 3)", () => {
  it("V2 data nested 10,000 deep, objects 1,000 and 10,000 deep in data[0], a 100 KB input name", async () => {
    const cases = [
      v2Body(deepArray(10_000)),
      v2Body(`[${deepObject(10_000)},0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]`),
      v2Body(`[${deepObject(1_000)},0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]`),
      v2Body(`[${deepArray(3)}]`, "[1]"),
      JSON.stringify({ inputs: [{ name: "x".repeat(100_000), shape: [1], datatype: "FP64", data: [1] }] }),
      JSON.stringify({ inputs: [{ ...features(1), shape: Array(10_000).fill(1) }] }),
    ];
    for (const body of cases) {
      const r = await post(srv.url, INFER, body);
      expect(r.status, body.slice(0, 80)).toBe(400);
      expect(typeof r.body.error).toBe("string");
      expect(r.body.error.length, r.body.error.slice(0, 200)).toBeLessThan(400);
    }
    const nested = await post(srv.url, INFER, v2Body(deepArray(10_000)));
    expect(nested.body.error).toMatch(
      /input "features": data is nested deeper than its shape \[1, 20\] allows/,
    );
  });

  it("classic routes: deep objects and arrays in fields are 422 naming the field", async () => {
    for (const [path, body] of [
      ["/predict", `{"satisfaction_level":${deepObject(10_000)}}`],
      ["/predict", `{"satisfaction_level":${deepArray(10_000)}}`],
      ["/predict/batch", `[{"satisfaction_level":${deepObject(10_000)}}]`],
      ["/explain", `{"satisfaction_level":${deepArray(10_000)}}`],
    ]) {
      const r = await post(srv.url, path, body);
      expect(r.status, path).toBe(422);
      expect(JSON.stringify(r.body).length).toBeLessThan(2000);
      expect(r.body.issues[0].field).toBe("satisfaction_level");
    }
  });

  it("a field the model ignores, nested 10,000 deep, neither fails the request nor the prediction log", async () => {
    const file = join(tmp, "deep-predictions.jsonl");
    const logged = await start(BUNDLE, { predictionLog: file });
    try {
      const extra = `"note":${deepObject(10_000)}`;
      const one = await post(logged.url, "/predict", `{${JSON.stringify(CLASSIC).slice(1, -1)},${extra}}`);
      expect(one.status).toBe(200);
      const batch = await post(
        logged.url,
        "/predict/batch",
        `[{${JSON.stringify(CLASSIC).slice(1, -1)},${extra}}]`,
      );
      expect(batch.status).toBe(200);
      expect(batch.body.predictions[0]).toEqual(one.body);
    } finally {
      await logged.close();
    }
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.input).toEqual({ ...CLASSIC, note: "[not logged: nested too deeply]" });
    }
  });

  it("gRPC: a message nesting groups 100,000 deep, or not a message at all, is INVALID_ARGUMENT", async () => {
    const raw = new grpc.Client(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure());
    const send = (bytes: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          "/inference.GRPCInferenceService/ModelInfer",
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (err) => resolve(err),
        ),
      );
    // field 100, wire type 3 (start group) 100,000 times, then as many ends
    const deep = Buffer.concat([
      Buffer.alloc(200_000, Buffer.from([0xa3, 0x06])),
      Buffer.alloc(200_000, Buffer.from([0xa4, 0x06])),
    ]);
    for (const bytes of [deep, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])]) {
      const err = await send(bytes);
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/not a ModelInferRequest message/);
      expect(err?.details.length).toBeLessThan(SHORT);
    }
    raw.close();
    const longName = await grpcCall(client, "ModelInfer", {
      model_name: "m".repeat(200_000),
      inputs: [
        {
          name: "features",
          datatype: "FP64",
          shape: [1, NF],
          contents: { fp64_contents: Array(NF).fill(0) },
        },
      ],
    });
    expect(longName.ok).toBe(false);
    if (!longName.ok) {
      expect(longName.error.code).toBe(grpc.status.NOT_FOUND);
      expect(longName.error.details.length).toBeLessThan(200);
    }
  });
});

describe("values must be what their datatype says; a tensor needs rows (item 5)", () => {
  it("V2 REST: each contradiction is a 400 naming the input", async () => {
    const cases: [unknown, RegExp][] = [
      [
        { ...features(1, "INT8"), data: [0.97, ...Array(19).fill(0)] },
        /integer in -128\.\.127 \(INT8\), got 0\.97/,
      ],
      [{ ...features(1, "INT32"), data: [0.5, ...Array(19).fill(0)] }, /\(INT32\), got 0\.5/],
      [{ ...features(1, "INT32"), data: [1e10, ...Array(19).fill(0)] }, /\(INT32\), got 10000000000/],
      [{ ...features(1, "BOOL"), data: [2, ...Array(19).fill(false)] }, /true or false \(BOOL\), got 2/],
      [{ ...features(1, "BYTES"), data: [1, ...Array(19).fill("a")] }, /a string \(BYTES\), got 1/],
      [{ ...features(1, "FP32"), data: [1e39, ...Array(19).fill(0)] }, /beyond FP32's range/],
      [{ ...features(1), data: ["0.5", ...Array(19).fill(0)] }, /a number \(FP64\), got "0\.5"/],
      [{ name: "features", shape: [0, NF], datatype: "FP64", data: [] }, /holds no rows/],
      [{ name: "satisfaction_level", shape: [0], datatype: "FP64", data: [] }, /holds no rows/],
    ];
    for (const [tensor, message] of cases) {
      const r = await post(srv.url, INFER, { inputs: [tensor] });
      expect(r.status, JSON.stringify(tensor).slice(0, 100)).toBe(400);
      expect(r.body.error).toMatch(/^input "(features|satisfaction_level)"/);
      expect(r.body.error).toMatch(message);
    }
    // An empty /predict/batch is refused the same way (422: no records).
    expect((await post(srv.url, "/predict/batch", [])).status).toBe(422);
  });

  it("binary data: a BOOL byte other than 0 or 1; gRPC: BYTES that are not UTF-8, a tensor without rows", async () => {
    const json = JSON.stringify({
      inputs: [{ name: "features", shape: [1, NF], datatype: "BOOL", parameters: { binary_data_size: NF } }],
    });
    const bytes = Buffer.alloc(NF, 0);
    bytes[3] = 2;
    const res = await fetch(srv.url + INFER, {
      method: "POST",
      headers: { "inference-header-content-length": String(Buffer.byteLength(json)) },
      body: Buffer.concat([Buffer.from(json), bytes]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /input "features": BOOL element 3 must be the byte 0 or 1, got 2/,
    );

    const notUtf8 = await grpcCall(client, "ModelInfer", {
      model_name: NAME,
      inputs: [
        {
          name: "sales",
          datatype: "BYTES",
          shape: [1],
          contents: { bytes_contents: [Buffer.from([0xc3, 0x28])] },
        },
      ],
    });
    expect(notUtf8.ok).toBe(false);
    if (!notUtf8.ok) {
      expect(notUtf8.error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(notUtf8.error.details).toMatch(/input "sales": BYTES element 0 is not UTF-8 text/);
    }
    const empty = await grpcCall(client, "ModelInfer", {
      model_name: NAME,
      inputs: [{ name: "features", datatype: "FP64", shape: [0, NF], contents: { fp64_contents: [] } }],
    });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.error.details).toMatch(/holds no rows/);
  });
});

/** A request from `from` (another loopback address) with `headers`. */
function fromAddress(url: string, from: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(CLASSIC));
  });
}

describe("API keys can not be guessed at full speed; the probes tell nothing (item 9)", () => {
  it("locks a client address out after 10 failed keys a minute (REST and gRPC together); valid traffic is not counted", async () => {
    const s = await start(HR, { grpcPort: await freePort() }, { LGBM_API_KEYS: "the-right-key" });
    const c = grpcClient(s.grpcPort as number);
    try {
      const key = { authorization: "Bearer the-right-key" };
      // Valid requests never count.
      for (let i = 0; i < 30; i++) expect((await post(s.url, "/predict", CLASSIC, key)).status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push(
          (await post(s.url, "/predict", CLASSIC, { authorization: `Bearer guess-${i}` })).status,
        );
      expect(statuses).toEqual(Array(8).fill(401));
      // Two more failures over gRPC reach the limit of 10 for this address.
      const bad = new grpc.Metadata();
      bad.set("authorization", "Bearer guess-grpc");
      for (let i = 0; i < 2; i++) {
        const r = await grpcCall(c, "ModelMetadata", { name: "hr" }, bad);
        expect(!r.ok && r.error.code).toBe(grpc.status.UNAUTHENTICATED);
      }
      const locked = await post(s.url, "/predict", CLASSIC, { authorization: "Bearer guess-8" });
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe("ERR_AUTH_LOCKED_OUT");
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
      // Locked out means locked out: the right key from this address is refused too (else a 429 and a
      // 200 would tell a guesser which guess was right).
      expect((await post(s.url, "/predict", CLASSIC, key)).status).toBe(429);
      const g = await grpcCall(c, "ModelMetadata", { name: "hr" }, bad);
      expect(!g.ok && g.error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      // The probes need no key and stay up; another client address is not affected.
      expect((await get(s.url, "/healthz")).status).toBe(200);
      expect((await get(s.url, "/readyz")).status).toBe(200);
      expect(await fromAddress(`${s.url}/predict`, "127.0.0.2", key)).toBe(200);
      expect(await fromAddress(`${s.url}/predict`, "127.0.0.2", { authorization: "Bearer nope" })).toBe(401);
    } finally {
      c.close();
      await s.close();
    }
  });

  it("/healthz and /readyz say only their status: no pid, no model names or versions", async () => {
    const h = await get(srv.url, "/healthz");
    const r = await get(srv.url, "/readyz");
    expect(h.body).toEqual({ status: "ok" });
    expect(r.body).toEqual({ status: "ready" });
    for (const text of [h.text, r.text]) {
      expect(text).not.toContain(String(process.pid));
      expect(text).not.toContain(NAME);
    }
  });
});

describe("errors before routing, bodies that cannot be read as sent, paths (item 10)", () => {
  const API_HEADERS = [
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
  ];

  it("malformed framing (400), oversized headers (431), an undecodable URL (400): headers, request id, error body", async () => {
    const cases: [string, number, RegExp][] = [
      ["POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, /malformed HTTP request/],
      [
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        400,
        /malformed/,
      ],
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431, /too large/],
      ["GET /%c0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, /does not decode/],
    ];
    for (const [text, status, message] of cases) {
      const r = parseRawResponse(await rawHttp(srv.port, text));
      expect(r.status, text.slice(0, 60)).toBe(status);
      for (const h of API_HEADERS) expect(r.headers[h], `${status} ${h}`).toBeTruthy();
      expect(r.headers["x-request-id"]).toMatch(/^[A-Za-z0-9._:-]+$/);
      const body = JSON.parse(r.body);
      expect(body.error).toMatch(message);
      expect(body.request_id).toBe(r.headers["x-request-id"]);
    }
  });

  it("a charset other than UTF-8, a compressed body or text/plain is a 415 (classic and V2)", async () => {
    const body = JSON.stringify(CLASSIC);
    const utf16 = await post(srv.url, "/predict", body, {
      "content-type": "application/json; charset=utf-16",
    });
    expect(utf16.status).toBe(415);
    expect(utf16.body.error).toMatch(/charset "utf-16" is not supported/);
    const gz = await post(srv.url, "/predict", body, { "content-encoding": "gzip" });
    expect(gz.status).toBe(415);
    expect(gz.body.error).toMatch(/Content-Encoding "gzip" is not supported/);
    const v2 = await post(srv.url, INFER, { inputs: [features(1)] }, { "content-encoding": "deflate" });
    expect(v2.status).toBe(415);
    expect(Object.keys(v2.body)).toEqual(["error"]);
    // Only JSON is read (http/json-body.ts removes fastify's text/plain parser).
    const text = await post(srv.url, "/predict", body, { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    // What stays accepted: UTF-8 spelled either way, identity.
    for (const h of <Record<string, string>[]>[
      { "content-type": "application/json; charset=UTF-8" },
      { "content-type": "application/json;charset=utf8" },
      { "content-encoding": "identity" },
    ]) {
      expect((await post(srv.url, "/predict", body, h)).status, JSON.stringify(h)).toBe(200);
    }
  });

  it("the load route never shows the server's model folder", async () => {
    const dir = join(tmp, "repo-secret-path");
    cpSync(HR, join(dir, "hr"), { recursive: true });
    const s = await start(dir);
    try {
      const unknown = await post(s.url, "/v2/repository/models/nope/load", {});
      expect(unknown.status).toBe(400);
      writeFileSync(join(dir, "hr", "model.txt"), "tree\nversion=v4\nnot a model\n");
      const broken = await post(s.url, "/v2/repository/models/hr/load", {});
      expect(broken.status).toBe(400);
      for (const r of [unknown, broken]) {
        expect(r.body.error).toMatch(/previous model keeps serving/);
        expect(r.body.error).not.toContain(tmp);
        expect(r.body.error).not.toContain("repo-secret-path");
      }
    } finally {
      await s.close();
    }
  });
});
