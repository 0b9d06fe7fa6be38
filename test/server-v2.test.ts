/**
 * The Open Inference Protocol over REST as KServe's required_api.md and Triton's extensions specify it,
 * on the shipped bundle (number, integer, boolean and category fields): the spec's example requests,
 * declared datatypes, every declared output when none is asked for, and Triton's binary tensor data
 * both ways, built byte for byte as tritonclient's HTTP client builds it (no content type, the JSON
 * header, Inference-Header-Content-Length, binary_data_size per input, binary_data_output).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/server.js";
import { FIXTURES, get, post, ROOT, start } from "./fixtures/server/helpers.js";
import { HR_RECORD } from "./helpers/records.js";

const BUNDLE = join(ROOT, "models/hr-attrition");
const NAME = "hr-attrition";

let srv: RunningServer;
let meta: {
  inputs: { name: string; datatype: string }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
};
beforeAll(async () => {
  srv = await start(BUNDLE);
  meta = (await get(srv.url, `/v2/models/${NAME}`)).body;
});
afterAll(async () => {
  await srv?.close();
});

/** The classic record with its boolean fields as booleans (the datatype the metadata declares: BOOL). */
const RECORD = { ...HR_RECORD, Work_accident: false, promotion_last_5years: false };
const second = { ...RECORD, satisfaction_level: 0.11, average_montly_hours: 290, Work_accident: true };
const rows = [RECORD, second];
const column = (name: string) => rows.map((r) => (r as Record<string, unknown>)[name]);

/** One JSON tensor per field, with the datatype the metadata declares. */
const jsonInputs = () =>
  meta.inputs.map((i) => ({
    name: i.name,
    shape: [rows.length],
    datatype: i.datatype,
    data: column(i.name),
  }));

/** A tensor's values as the binary data extension lays them out (little-endian, BYTES length-prefixed). */
function bytesOf(datatype: string, values: unknown[]): Buffer {
  switch (datatype) {
    case "FP64":
      return Buffer.from(new Float64Array(values as number[]).buffer);
    case "FP32":
      return Buffer.from(new Float32Array(values as number[]).buffer);
    case "INT64":
      return Buffer.from(new BigInt64Array((values as number[]).map(BigInt)).buffer);
    case "BOOL":
      return Buffer.from((values as unknown[]).map((v) => (v === true || v === 1 ? 1 : 0)));
    case "BYTES":
      return Buffer.concat(
        (values as string[]).flatMap((s) => {
          const b = Buffer.from(s, "utf8");
          const n = Buffer.alloc(4);
          n.writeUInt32LE(b.length);
          return [n, b];
        }),
      );
  }
  throw new Error(datatype);
}

/** Decodes one binary output. */
function valuesOf(datatype: string, b: Buffer): unknown[] {
  const copy = new Uint8Array(b).buffer;
  switch (datatype) {
    case "FP64":
      return Array.from(new Float64Array(copy));
    case "INT64":
      return Array.from(new BigInt64Array(copy), Number);
    case "INT32":
      return Array.from(new Int32Array(copy));
    case "BYTES": {
      const out: string[] = [];
      for (let at = 0; at < b.length; ) {
        const n = b.readUInt32LE(at);
        out.push(b.toString("utf8", at + 4, at + 4 + n));
        at += 4 + n;
      }
      return out;
    }
  }
  throw new Error(datatype);
}

/** tritonclient's HTTP request: JSON header then the inputs' bytes; no content type; the header's length. */
async function binaryInfer(
  path: string,
  header: Record<string, unknown>,
  data: Buffer[],
  headers: Record<string, string> = {},
) {
  const json = Buffer.from(JSON.stringify(header));
  const res = await fetch(srv.url + path, {
    method: "POST",
    headers: { "inference-header-content-length": String(json.length), ...headers },
    body: Buffer.concat([json, ...data]),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const n = res.headers.get("inference-header-content-length");
  if (n === null)
    return {
      status: res.status,
      json: JSON.parse(body.toString()),
      binary: [],
      type: res.headers.get("content-type"),
    };
  const head = JSON.parse(body.toString("utf8", 0, Number(n)));
  const binary: unknown[][] = [];
  let at = Number(n);
  for (const o of head.outputs) {
    const size = o.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary.push(valuesOf(o.datatype, body.subarray(at, at + size)));
    at += size;
  }
  expect(at).toBe(body.length);
  return { status: res.status, json: head, binary, type: res.headers.get("content-type") };
}

describe("metadata", () => {
  it("declares each field's datatype as what it is, and every output with its shape", () => {
    expect(Object.fromEntries(meta.inputs.map((i) => [i.name, i.datatype]))).toEqual({
      satisfaction_level: "FP64",
      last_evaluation: "FP64",
      number_project: "INT64",
      average_montly_hours: "INT64",
      time_spend_company: "INT64",
      Work_accident: "BOOL",
      promotion_last_5years: "BOOL",
      sales: "BYTES",
      salary: "BYTES",
    });
    expect(meta.outputs).toEqual([
      { name: "predict", datatype: "INT64", shape: [-1] },
      { name: "predict_proba", datatype: "FP64", shape: [-1, 2] },
      { name: "raw", datatype: "FP64", shape: [-1, 1] },
      { name: "leaf", datatype: expect.any(String), shape: [-1, expect.any(Number)] },
      { name: "contrib", datatype: "FP64", shape: [-1, 21] },
    ]);
  });
});

describe("inference, JSON", () => {
  it("the spec's example: an id, a BOOL input, nested data, one requested output", async () => {
    const want = (await post(srv.url, "/predict/batch", rows)).body.predictions;
    const inputs = jsonInputs().map((t) =>
      t.name === "satisfaction_level" ? { ...t, shape: [2, 1], data: t.data.map((v) => [v]) } : t,
    );
    const r = await post(srv.url, `/v2/models/${NAME}/infer`, {
      id: "42",
      inputs,
      outputs: [{ name: "predict_proba" }],
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      model_name: NAME,
      model_version: "1",
      id: "42",
      outputs: [
        {
          name: "predict_proba",
          shape: [2, 2],
          datatype: "FP64",
          data: want.flatMap((p: { probability: number }) => [1 - p.probability, p.probability]),
        },
      ],
    });
  });

  it("without outputs, every output the metadata declares, in its order and shapes", async () => {
    const r = await post(srv.url, `/v2/models/${NAME}/infer`, { inputs: jsonInputs() });
    expect(r.status).toBe(200);
    expect(
      r.body.outputs.map((o: { name: string; datatype: string; shape: number[] }) => [
        o.name,
        o.datatype,
        o.shape,
      ]),
    ).toEqual(meta.outputs.map((o) => [o.name, o.datatype, o.shape.map((d) => (d === -1 ? 2 : d))]));
    for (const o of r.body.outputs)
      expect(o.data).toHaveLength(o.shape.reduce((a: number, d: number) => a * d, 1));
    // predict agrees with /predict/batch
    const classic = (await post(srv.url, "/predict/batch", rows)).body.predictions;
    expect(r.body.outputs[0].data).toEqual(classic.map((p: { prediction: number }) => p.prediction));
  });

  it("BOOL inputs for boolean fields, INT64 for integer fields; values checked against the datatype", async () => {
    const asInts = jsonInputs().map((t) =>
      t.datatype === "BOOL" ? { ...t, datatype: "INT64", data: t.data.map(Number) } : t,
    );
    const a = await post(srv.url, `/v2/models/${NAME}/infer`, {
      inputs: jsonInputs(),
      outputs: [{ name: "raw" }],
    });
    const b = await post(srv.url, `/v2/models/${NAME}/infer`, { inputs: asInts, outputs: [{ name: "raw" }] });
    expect(b.body.outputs).toEqual(a.body.outputs);
    const fractional = jsonInputs().map((t) => (t.name === "number_project" ? { ...t, data: [2.5, 3] } : t));
    const f = await post(srv.url, `/v2/models/${NAME}/infer`, { inputs: fractional });
    expect(f.status).toBe(400);
    expect(f.body.error).toMatch(/input "number_project": data\[0\] must be an integer/);
    const stringInBool = jsonInputs().map((t) =>
      t.name === "Work_accident" ? { ...t, data: ["no", "yes"] } : t,
    );
    const s = await post(srv.url, `/v2/models/${NAME}/infer`, { inputs: stringInBool });
    expect(s.status).toBe(400);
    expect(s.body.error).toMatch(/input "Work_accident"/);
  });

  it("errors are 400 { error } naming the input, 404 for an unknown model or version", async () => {
    const cases: [unknown, RegExp][] = [
      [{ inputs: [] }, /inputs/],
      [
        { inputs: jsonInputs().map((t) => (t.name === "sales" ? { ...t, data: ["nope", "sales"] } : t)) },
        /sales/,
      ],
      [
        { inputs: jsonInputs().map((t) => (t.name === "salary" ? { ...t, shape: [3] } : t)) },
        /input "salary": shape \[3\] holds 3/,
      ],
      [{ inputs: jsonInputs(), outputs: [{ name: "bogus" }] }, /output "bogus"/],
      [
        { inputs: [...jsonInputs(), { name: "extra", shape: [2], datatype: "FP64", data: [1, 2] }] },
        /input "extra" is not a field/,
      ],
    ];
    for (const [body, message] of cases) {
      const r = await post(srv.url, `/v2/models/${NAME}/infer`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.body)).toEqual(["error"]);
      expect(r.body.error).toMatch(message);
    }
    expect((await post(srv.url, "/v2/models/nope/infer", { inputs: jsonInputs() })).status).toBe(404);
    expect(
      (await post(srv.url, `/v2/models/${NAME}/versions/7/infer`, { inputs: jsonInputs() })).status,
    ).toBe(404);
    expect((await get(srv.url, "/v2/nope")).body).toEqual({ error: "no route GET /v2/nope" });
  });
});

describe("binary tensor data (Triton's extension)", () => {
  it("tritonclient's defaults: binary inputs, no outputs listed, binary_data_output: every output as binary data", async () => {
    const header = {
      inputs: meta.inputs.map((i) => ({
        name: i.name,
        shape: [rows.length],
        datatype: i.datatype,
        parameters: { binary_data_size: bytesOf(i.datatype, column(i.name)).length },
      })),
      parameters: { binary_data_output: true },
    };
    const r = await binaryInfer(
      `/v2/models/${NAME}/infer`,
      header,
      meta.inputs.map((i) => bytesOf(i.datatype, column(i.name))),
    );
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/octet-stream");
    const json = await post(srv.url, `/v2/models/${NAME}/infer`, { inputs: jsonInputs() });
    expect(r.json.outputs.map((o: { name: string }) => o.name)).toEqual(meta.outputs.map((o) => o.name));
    for (const o of r.json.outputs) {
      expect(o.data).toBeUndefined();
      expect(o.parameters.binary_data_size).toBeGreaterThan(0);
    }
    // the same numbers as the JSON answer, bit for bit
    expect(r.binary).toEqual(json.body.outputs.map((o: { data: unknown[] }) => o.data));
    expect(r.json.outputs.map((o: { shape: number[] }) => o.shape)).toEqual(
      json.body.outputs.map((o: { shape: number[] }) => o.shape),
    );
  });

  it("the spec's example: application/octet-stream, binary FP32 input, one output binary and one JSON", async () => {
    const features = [0.38, 0.53, 2, 157, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    const matrix = [...features, ...features.map((v, i) => (i === 0 ? 0.11 : v))];
    const header = {
      inputs: [{ name: "features", shape: [2, 20], datatype: "FP32", parameters: { binary_data_size: 160 } }],
      outputs: [
        { name: "raw", parameters: { binary_data: true } },
        { name: "predict", parameters: { binary_data: false } },
      ],
    };
    const r = await binaryInfer(`/v2/models/${NAME}/infer`, header, [bytesOf("FP32", matrix)], {
      "content-type": "application/octet-stream",
    });
    expect(r.status).toBe(200);
    const json = await post(srv.url, `/v2/models/${NAME}/infer`, {
      inputs: [{ name: "features", shape: [2, 20], datatype: "FP32", data: matrix }],
      outputs: [{ name: "raw" }, { name: "predict" }],
    });
    expect(r.json.outputs[0]).toEqual({
      name: "raw",
      datatype: "FP64",
      shape: [2, 1],
      parameters: { binary_data_size: 16 },
    });
    expect(r.binary[0]).toEqual(json.body.outputs[0].data);
    expect(r.json.outputs[1]).toEqual(json.body.outputs[1]);
  });

  it("JSON outputs for binary inputs unless asked; BYTES outputs length-prefixed", async () => {
    const repo = await start(join(FIXTURES, "repo"));
    try {
      const names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
      const header = {
        inputs: names.map((name) => ({
          name,
          shape: [1],
          datatype: "FP64",
          parameters: { binary_data_size: 8 },
        })),
        outputs: [{ name: "predict", parameters: { binary_data: true } }],
      };
      const json = Buffer.from(JSON.stringify(header));
      const res = await fetch(`${repo.url}/v2/models/iris/infer`, {
        method: "POST",
        headers: { "inference-header-content-length": String(json.length) },
        body: Buffer.concat([json, ...names.map((_, i) => bytesOf("FP64", [i === 0 ? 1 : 0]))]),
      });
      const body = Buffer.from(await res.arrayBuffer());
      const n = Number(res.headers.get("inference-header-content-length"));
      const head = JSON.parse(body.toString("utf8", 0, n));
      expect(head.outputs[0]).toMatchObject({ name: "predict", datatype: "BYTES", shape: [1] });
      expect(valuesOf("BYTES", body.subarray(n))).toEqual(["setosa"]);
    } finally {
      await repo.close();
    }
  });

  it("refuses bad binary requests with 400 { error } naming the problem", async () => {
    const one = (size: number) => ({
      inputs: [
        { name: "features", shape: [1, 20], datatype: "FP64", parameters: { binary_data_size: size } },
      ],
    });
    const data = bytesOf("FP64", Array(20).fill(0));
    const cases: [Record<string, unknown>, Buffer[], RegExp][] = [
      [one(200), [data], /input "features": binary_data_size 200 runs past the binary data/],
      [one(80), [data], /input "features": shape \[1, 20\] of FP64 takes 160 bytes but the data has 80/],
      [one(160), [data, Buffer.alloc(3)], /3 bytes that no input's binary_data_size accounts for/],
      [
        { inputs: [{ name: "features", shape: [1, 20], datatype: "FP64" }] },
        [data],
        /input "features": data is missing/,
      ],
    ];
    for (const [header, bytes, message] of cases) {
      const r = await binaryInfer(`/v2/models/${NAME}/infer`, header, bytes);
      expect(r.status, message.source).toBe(400);
      expect(r.json.error).toMatch(message);
    }
    const badLength = await fetch(`${srv.url}/v2/models/${NAME}/infer`, {
      method: "POST",
      headers: { "inference-header-content-length": "9999" },
      body: Buffer.from("{}"),
    });
    expect(badLength.status).toBe(400);
    expect(((await badLength.json()) as { error: string }).error).toMatch(/Inference-Header-Content-Length/);
  });
});

describe("model repository extension", () => {
  it("index, unload, load: the model leaves and comes back", async () => {
    const s = await start(join(FIXTURES, "repo"));
    try {
      const index = async () => (await post(s.url, "/v2/repository/index", {})).body;
      expect(await index()).toContainEqual({ name: "iris", version: "1", state: "READY", reason: "" });
      // tritonclient's unload body
      const u = await post(s.url, "/v2/repository/models/iris/unload", {
        parameters: { unload_dependents: false },
      });
      expect(u.body).toEqual({ name: "iris", unloaded: true });
      expect(await index()).toContainEqual({
        name: "iris",
        version: "1",
        state: "UNAVAILABLE",
        reason: "not loaded",
      });
      expect(
        (await post(s.url, "/v2/repository/index", { ready: true })).body.map(
          (m: { name: string }) => m.name,
        ),
      ).not.toContain("iris");
      expect((await get(s.url, "/v2/models/iris/ready")).status).toBe(404);
      expect((await post(s.url, "/models/iris/predict", {})).status).toBe(404);
      // tritonclient's load: a body of {} and no content type
      const l = await fetch(`${s.url}/v2/repository/models/iris/load`, { method: "POST", body: "{}" });
      expect(l.status).toBe(200);
      expect((await get(s.url, "/v2/models/iris/ready")).body).toEqual({ name: "iris", ready: true });
      expect(await index()).toContainEqual({ name: "iris", version: "1", state: "READY", reason: "" });
    } finally {
      await s.close();
    }
  });
});
