/** The HTTP API of `lgbm serve` over real HTTP: classic /predict, batch, explain, V2, docs, ops, errors. */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { CLASSIC, FIXTURES, get, HR, post, start } from "./fixtures/server/helpers.js";

// LightGBM 4.7.0's own prediction for CLASSIC (python: Booster.predict on the one-hot row).
const CLASSIC_P = 0.19910043145398545;

let srv: RunningServer;
let base: string;
beforeAll(async () => {
  srv = await start(HR);
  base = srv.url;
});
afterAll(async () => {
  await srv?.close();
});

describe("classic endpoints", () => {
  it("POST /predict takes the classic body unchanged and answers { prediction, probability }", async () => {
    const r = await post(base, "/predict", CLASSIC);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ prediction: 0, probability: CLASSIC_P });
    expect(r.headers.get("x-request-id")).toMatch(/.+/);
  });

  it("keeps a caller's x-request-id", async () => {
    const r = await post(base, "/predict", CLASSIC, { "x-request-id": "abc-123" });
    expect(r.headers.get("x-request-id")).toBe("abc-123");
  });

  it("POST /predict/batch: array, {records}, columnar; order kept", async () => {
    const high = { ...CLASSIC, satisfaction_level: 0.1, average_montly_hours: 300 };
    const a = await post(base, "/predict/batch", [CLASSIC, high, CLASSIC]);
    expect(a.status).toBe(200);
    expect(a.body.predictions).toHaveLength(3);
    expect(a.body.predictions[0]).toEqual({ prediction: 0, probability: CLASSIC_P });
    expect(a.body.predictions[2]).toEqual(a.body.predictions[0]);
    expect(a.body.predictions[1].probability).toBeGreaterThan(CLASSIC_P);
    const b = await post(base, "/predict/batch", { records: [CLASSIC, high, CLASSIC] });
    expect(b.body).toEqual(a.body);
    const cols = Object.fromEntries(
      Object.keys(CLASSIC).map((k) => [k, [CLASSIC, high, CLASSIC].map((r) => (r as any)[k])]),
    );
    const c = await post(base, "/predict/batch", cols);
    expect(c.status).toBe(200);
    expect(c.body).toEqual(a.body);
    const big = await post(
      base,
      "/predict/batch",
      Array.from({ length: 1000 }, () => CLASSIC),
    );
    expect(big.body.predictions).toHaveLength(1000);
    expect(big.body.predictions[999]).toEqual({ prediction: 0, probability: CLASSIC_P });
  });

  it("POST /explain: per-field SHAP, sorted by magnitude, base + contributions = raw score", async () => {
    const r = await post(base, "/explain", CLASSIC);
    expect(r.status).toBe(200);
    const { baseValue, contributions } = r.body;
    expect(contributions.map((c: any) => c.field).sort()).toEqual(Object.keys(CLASSIC).sort());
    const mags = contributions.map((c: any) => Math.abs(c.value));
    expect(mags).toEqual([...mags].sort((x: number, y: number) => y - x));
    const raw = baseValue + contributions.reduce((s: number, c: any) => s + c.value, 0);
    expect(1 / (1 + Math.exp(-raw))).toBeCloseTo(CLASSIC_P, 10);
  });

  it("concurrent requests (micro-batched) get exactly their own answers", async () => {
    const bodies = Array.from({ length: 200 }, (_, i) => ({
      ...CLASSIC,
      satisfaction_level: (i % 90) / 100 + 0.1,
    }));
    const single = await Promise.all(bodies.map((b) => post(base, "/predict", b)));
    const batch = await post(base, "/predict/batch", bodies);
    expect(single.map((r) => r.body)).toEqual(batch.body.predictions);
  });
});

describe("errors", () => {
  it("422 names every bad field", async () => {
    const r = await post(base, "/predict", {
      ...CLASSIC,
      satisfaction_level: "high",
      salary: "huge",
      sales: undefined,
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe("validation failed");
    const fields = r.body.issues.map((i: any) => i.field).sort();
    expect(fields).toEqual(["salary", "sales", "satisfaction_level"]);
    expect(r.body.issues[0].row).toBeUndefined();
    expect(r.body.request_id).toBe(r.headers.get("x-request-id"));
  });
  it("422 for an array on /predict and for batch rows, with the row", async () => {
    expect((await post(base, "/predict", [CLASSIC])).status).toBe(422);
    const r = await post(base, "/predict/batch", [CLASSIC, { ...CLASSIC, number_project: "two" }]);
    expect(r.status).toBe(422);
    expect(r.body.issues[0]).toMatchObject({ field: "number_project", row: 1 });
  });
  it("400 malformed JSON, 415 wrong content type, 413 too large, 404 unknown route", async () => {
    const bad = await post(base, "/predict", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/JSON/);
    const text = await post(base, "/predict", JSON.stringify(CLASSIC), { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect(text.body.error).toBeTruthy();
    const big = await post(base, "/predict/batch", `[${"1,".repeat(600_000)}1]`);
    expect(big.status).toBe(413);
    const nf = await get(base, "/nope");
    expect(nf.status).toBe(404);
    expect(nf.body.error).toMatch(/no route/);
    for (const r of [bad, text, big]) expect(JSON.stringify(r.body)).not.toMatch(/at .*\.js:\d+/);
  });
});

describe("Open Inference Protocol (V2)", () => {
  it("server metadata, live, ready", async () => {
    const m = await get(base, "/v2");
    expect(m.body).toMatchObject({ name: "lightgbm-node", extensions: expect.any(Array) });
    expect(typeof m.body.version).toBe("string");
    expect((await get(base, "/v2/health/live")).body).toEqual({ live: true });
    expect((await get(base, "/v2/health/ready")).body).toEqual({ ready: true });
  });
  it("model metadata and ready, with and without version", async () => {
    for (const p of ["/v2/models/hr", "/v2/models/hr/versions/1"]) {
      const m = await get(base, p);
      expect(m.status).toBe(200);
      expect(m.body).toMatchObject({ name: "hr", versions: ["1"], platform: "lightgbm" });
      expect(m.body.inputs).toContainEqual({ name: "sales", datatype: "BYTES", shape: [-1] });
      expect(m.body.outputs.map((o: any) => o.name)).toEqual([
        "predict",
        "predict_proba",
        "raw",
        "leaf",
        "contrib",
      ]);
      expect((await get(base, `${p}/ready`)).body).toEqual({ name: "hr", ready: true });
    }
    const missing = await get(base, "/v2/models/nope");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: expect.any(String) });
  });
  it("infer with one tensor per field (BYTES for categories)", async () => {
    const inputs = Object.entries(CLASSIC).map(([name, v]) => ({
      name,
      shape: [2],
      datatype: typeof v === "string" ? "BYTES" : "FP64",
      data: [v, v],
    }));
    const r = await post(base, "/v2/models/hr/infer", {
      id: "42",
      inputs,
      outputs: [{ name: "predict" }, { name: "predict_proba" }],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      model_name: "hr",
      model_version: "1",
      id: "42",
      outputs: [
        { name: "predict", datatype: "INT64", shape: [2], data: [0, 0] },
        {
          name: "predict_proba",
          datatype: "FP64",
          shape: [2, 2],
          data: [1 - CLASSIC_P, CLASSIC_P, 1 - CLASSIC_P, CLASSIC_P],
        },
      ],
    });
  });
  it("infer with one [n, numFeatures] tensor; raw, leaf, contrib; without outputs, every declared output", async () => {
    const row = [0.38, 0.53, 2, 157, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    const r = await post(base, "/v2/models/hr/versions/1/infer", {
      inputs: [{ name: "features", shape: [1, 20], datatype: "FP64", data: [row] }],
    });
    expect(r.status).toBe(200);
    const meta = await get(base, "/v2/models/hr");
    expect(r.body.outputs.map((o: any) => [o.name, o.datatype, o.shape])).toEqual(
      meta.body.outputs.map((o: any) => [o.name, o.datatype, o.shape.map((d: number) => (d === -1 ? 1 : d))]),
    );
    expect(r.body.outputs[0]).toEqual({ name: "predict", datatype: "INT64", shape: [1], data: [0] });
    expect(r.body.outputs[1]).toEqual({
      name: "predict_proba",
      datatype: "FP64",
      shape: [1, 2],
      data: [1 - CLASSIC_P, CLASSIC_P],
    });
    expect(r.body.id).toBeUndefined();
    const all = await post(base, "/v2/models/hr/infer", {
      inputs: [{ name: "features", shape: [1, 20], datatype: "FP64", data: row }],
      outputs: [{ name: "raw" }, { name: "leaf" }, { name: "contrib" }],
    });
    const [raw, leaf, contrib] = all.body.outputs;
    expect(raw.shape).toEqual([1, 1]);
    expect(1 / (1 + Math.exp(-raw.data[0]))).toBeCloseTo(CLASSIC_P, 12);
    expect(leaf).toMatchObject({ datatype: "INT32", shape: [1, 40] });
    expect(contrib.shape).toEqual([1, 21]);
    expect(contrib.data.reduce((s: number, v: number) => s + v, 0)).toBeCloseTo(raw.data[0], 10);
  });
  it("bad infer requests are 400 { error }", async () => {
    const cases: unknown[] = [
      {},
      { inputs: [] },
      { inputs: [{ name: "features", shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }] },
      { inputs: [{ name: "features", shape: [1, 20], datatype: "FP64", data: [1] }] },
      { inputs: [{ name: "sales", shape: [1], datatype: "BYTES", data: ["nope"] }] },
      { inputs: [{ name: "x", shape: [1], datatype: "WEIRD", data: [1] }] },
      {
        inputs: [{ name: "satisfaction_level", shape: [1], datatype: "FP64", data: [0.5] }],
        outputs: [{ name: "bogus" }],
      },
    ];
    for (const body of cases) {
      const r = await post(base, "/v2/models/hr/infer", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.body)).toEqual(["error"]);
    }
    expect((await post(base, "/v2/models/hr/infer", "{oops")).body).toEqual({
      error: expect.stringMatching(/JSON/),
    });
  });
});

describe("docs and operations", () => {
  it("serves /openapi.json from the model's schema, /docs and /redoc without CDNs", async () => {
    const doc = await get(base, "/openapi.json");
    expect(doc.status).toBe(200);
    const record = doc.body.components.schemas.hr_Record;
    expect(Object.keys(record.properties)).toEqual(Object.keys(CLASSIC));
    expect(record.examples[0]).toEqual(
      expect.objectContaining({ satisfaction_level: expect.any(Number), sales: expect.any(String) }),
    );
    expect(doc.body.paths["/predict"].post.responses).toHaveProperty("422");
    expect(doc.body.paths["/v2/models/{name}/infer"]).toBeTruthy();
    const docs = await get(base, "/docs");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("/docs/static/swagger-ui-bundle.js");
    const docsJson = await get(base, "/docs/json");
    expect(Object.keys(docsJson.body.components.schemas.hr_Record.properties)).toEqual(Object.keys(CLASSIC));
    const redoc = await get(base, "/redoc");
    expect(redoc.status).toBe(200);
    expect(redoc.text).toContain("satisfaction_level");
    expect(redoc.text).toContain("/redoc/redoc.standalone.js");
    const init = await get(base, "/docs/static/swagger-initializer.js");
    expect(init.status).toBe(200);
    for (const page of [docs.text, redoc.text, init.text]) {
      expect(page).not.toMatch(
        /https?:\/\/(?!127\.0\.0\.1|localhost)[^"'\s]*(cdn|unpkg|jsdelivr|googleapis)/i,
      );
      const srcs = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      for (const s of srcs) expect(s.startsWith("http")).toBe(false);
    }
    const js = await fetch(`${base}/redoc/redoc.standalone.js`);
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await fetch(`${base}/docs`)).headers.get("content-security-policy")).toContain(
      "script-src 'self'",
    );
  });
  it("healthz, readyz, metrics", async () => {
    expect((await get(base, "/healthz")).body).toEqual({ status: "ok" });
    const ready = await get(base, "/readyz");
    expect(ready.status).toBe(200);
    // The probes need no key, so they say nothing more (which models: GET /models).
    expect(ready.body).toEqual({ status: "ready" });
    await post(base, "/predict", CLASSIC);
    const m = await get(base, "/metrics");
    expect(m.status).toBe(200);
    expect(m.text).toMatch(/lgbm_http_requests_total\{method="POST",route="\/predict",status="200"\} \d+/);
    expect(m.text).toMatch(/lgbm_http_request_duration_seconds_bucket\{.*route="\/predict"/);
    expect(m.text).toMatch(/lgbm_predictions_total\{model="hr",version="1",class="0"\} \d+/);
    expect(m.text).toContain("lgbm_engine_batch_rows_bucket");
    expect(m.text).toMatch(/lgbm_model_load_seconds\{model="hr",version="1"\}/);
    expect(m.text).toMatch(/lgbm_model_info\{model="hr",version="1",engine="native",objective="binary"/);
    expect(m.text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("serves on the wasm engine (--engine wasm, no addon needed) the native engine's answers, bit for bit", async () => {
    const wasm = await start(HR, { engine: "wasm" });
    try {
      const records = [
        CLASSIC,
        { ...CLASSIC, salary: "high", satisfaction_level: 0.91 },
        { ...CLASSIC, sales: "IT" },
      ];
      const a = await post(wasm.url, "/predict/batch", records);
      const b = await post(srv.url, "/predict/batch", records);
      expect(a.status).toBe(200);
      expect(a.body).toEqual(b.body);
      expect((await get(wasm.url, "/metrics")).text).toMatch(
        /lgbm_model_info\{model="hr",version="1",engine="wasm"/,
      );
    } finally {
      await wasm.close();
    }
    await expect(start(HR, { engine: "onnx" })).rejects.toThrow(
      "engine must be auto, native, wasm or js, got onnx",
    );
  });

  it("counts every response once per method, route and status, with its latency; unknown paths as unmatched", async () => {
    const s = await start(HR);
    try {
      const metric = async (name: string, labels: string) => {
        const text = (await get(s.url, "/metrics")).text;
        const line = text.split("\n").find((l: string) => l.startsWith(`${name}{${labels}}`));
        return line === undefined ? 0 : Number(line.split(" ").at(-1));
      };
      await Promise.all(Array.from({ length: 7 }, () => post(s.url, "/predict", CLASSIC)));
      await post(s.url, "/predict", { ...CLASSIC, salary: "huge" });
      await get(s.url, "/nope");
      await get(s.url, "/nope/either");
      await fetch(`${s.url}/healthz`, { method: "HEAD" });
      const ok = 'method="POST",route="/predict",status="200"';
      expect(await metric("lgbm_http_requests_total", ok)).toBe(7);
      expect(await metric("lgbm_http_request_duration_seconds_count", ok)).toBe(7);
      const sum = await metric("lgbm_http_request_duration_seconds_sum", ok);
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(7 * 10);
      expect(await metric("lgbm_http_requests_total", 'method="POST",route="/predict",status="422"')).toBe(1);
      expect(await metric("lgbm_http_requests_total", 'method="GET",route="unmatched",status="404"')).toBe(2);
      expect(await metric("lgbm_http_requests_total", 'method="HEAD",route="/healthz",status="200"')).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe("a repository of models", () => {
  it("serves several bundles side by side under /models/{name}, with the right shapes", async () => {
    const repo = await start(join(FIXTURES, "repo"));
    try {
      const b = repo.url;
      expect((await post(b, "/predict", CLASSIC)).status).toBe(404);
      expect((await post(b, "/models/hr/predict", CLASSIC)).body).toEqual({
        prediction: 0,
        probability: CLASSIC_P,
      });
      const iris = await post(b, "/models/iris/predict", {
        sepal_length: 1,
        sepal_width: 0,
        petal_length: 0,
        petal_width: 0,
      });
      expect(iris.body.prediction).toBe("setosa");
      expect(iris.body.probabilities).toHaveLength(3);
      const price = await post(b, "/models/price/predict", { area: 0.5, age: 0.5, distance: 0.5 });
      expect(typeof price.body.value).toBe("number");
      const v = await get(b, "/v2/models/price");
      expect(v.body.versions).toEqual(["1", "2"]);
      const pinned = await post(b, "/v2/models/price/versions/1/infer", {
        inputs: [{ name: "features", shape: [1, 3], datatype: "FP64", data: [0.5, 0.5, 0.5] }],
      });
      expect(pinned.body).toMatchObject({ model_name: "price", model_version: "1" });
      expect(pinned.body.outputs[0]).toMatchObject({ datatype: "FP64", data: [price.body.value] });
      const bytes = await post(b, "/v2/models/iris/infer", {
        inputs: ["sepal_length", "sepal_width", "petal_length", "petal_width"].map((name, i) => ({
          name,
          shape: [1],
          datatype: "FP64",
          data: [i === 0 ? 1 : 0],
        })),
      });
      expect(bytes.body.outputs[0]).toEqual({
        name: "predict",
        datatype: "BYTES",
        shape: [1],
        data: ["setosa"],
      });
    } finally {
      await repo.close();
    }
  });
});

describe("auth", () => {
  it("requires a Bearer key on every route except health when keys are configured", async () => {
    // (authFailLimit 0: this test sends many wrong keys on purpose; the lockout has its own test)
    const s = await start(HR, { rateLimit: 1000, authFailLimit: 0 }, { LGBM_API_KEYS: "k1,second-key" });
    try {
      const b = s.url;
      expect((await get(b, "/healthz")).status).toBe(200);
      expect((await get(b, "/readyz")).status).toBe(200);
      expect((await get(b, "/v2/health/ready")).status).toBe(200);
      expect((await get(b, "/healthz?probe=1")).status).toBe(200);
      // public by path: what is not literally a health path is asked for a key, even where it would route there
      for (const p of [
        "/metrics",
        "/docs",
        "/openapi.json",
        "/v2",
        "/v2/models/hr",
        "/health%7A",
        "/healthz/",
        "/nope",
      ]) {
        expect((await get(b, p)).status, p).toBe(401);
      }
      const no = await post(b, "/predict", CLASSIC);
      expect(no.status).toBe(401);
      expect(no.body.error).toMatch(/API key/);
      expect((await post(b, "/predict", CLASSIC, { authorization: "Bearer wrong" })).status).toBe(401);
      expect((await post(b, "/predict", CLASSIC, { authorization: "Basic k1" })).status).toBe(401);
      // prefixes, extensions, case changes and over-long keys of a valid key are not that key
      for (const k of ["k", "k12", "K1", "second-ke", "second-keyy", `second-key${"y".repeat(300)}`]) {
        expect((await post(b, "/predict", CLASSIC, { authorization: `Bearer ${k}` })).status, k).toBe(401);
      }
      const ok = await post(b, "/predict", CLASSIC, { authorization: "Bearer second-key" });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-limit")).toBe("1000");
      expect((await get(b, "/metrics", { authorization: "Bearer k1" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
  it("rate limits per key with 429 JSON", async () => {
    const s = await start(HR, { rateLimit: 3 }, { LGBM_API_KEYS: "a,b" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await post(s.url, "/predict", CLASSIC, { authorization: "Bearer a" })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await post(s.url, "/predict", CLASSIC, { authorization: "Bearer a" });
      expect(limited.body.error).toMatch(/rate limit/);
      expect((await post(s.url, "/predict", CLASSIC, { authorization: "Bearer b" })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
  it("refuses API keys longer than 256 bytes at startup, naming the key", async () => {
    await expect(start(HR, {}, { LGBM_API_KEYS: `ok,${"x".repeat(257)}` })).rejects.toThrow(
      /API key 2 is 257 bytes; keys may be at most 256 bytes/,
    );
  });
  it("production profile refuses to start without keys", async () => {
    await expect(start(HR, { profile: "production" })).rejects.toThrow(/requires API keys/);
  });
});
