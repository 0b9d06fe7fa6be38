/**
 * The Open Inference Protocol over gRPC, with a real client: @grpc/grpc-js and the committed .proto
 * (loaded from the .proto text, so the descriptor the server uses is checked against it). Every RPC;
 * ModelInfer with typed contents and with raw contents gives the same numbers as REST; micro-batching,
 * metrics, the prediction log and drift shared with REST; API keys on and off; errors as status codes.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRPC_PREDICT_V2 } from "../src/server/grpc/proto-json.js";
import type { RunningServer } from "../src/server/server.js";
import { FIXTURES, get, post, ROOT, start } from "./fixtures/server/helpers.js";
import { HR_RECORD } from "./helpers/records.js";

const PROTO = join(ROOT, "src/server/grpc/grpc_predict_v2.proto");
const BUNDLE = join(ROOT, "models/hr-attrition");
const NAME = "hr-attrition";
const KEY = "grpc-test-key";

type Client = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;
const Service = (
  grpc.loadPackageDefinition(
    protoLoader.loadSync(PROTO, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  ) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } }
).inference.GRPCInferenceService;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function call(c: Client, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<any> {
  return new Promise((resolve, reject) => {
    c[method](request, metadata, (err: grpc.ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    );
  });
}

async function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("the call succeeded");
}

const RECORD = { ...HR_RECORD, Work_accident: false, promotion_last_5years: false };
const rows = [RECORD, { ...RECORD, satisfaction_level: 0.11, average_montly_hours: 290, sales: "hr" }];
const col = (name: string) => rows.map((r) => (r as Record<string, unknown>)[name]);
const DATATYPE: Record<string, string> = {};

/** Typed contents: one tensor per field, in the field of its datatype. */
const typedInputs = () =>
  Object.keys(RECORD).map((name) => {
    const datatype = DATATYPE[name];
    const values = col(name);
    const contents =
      datatype === "BYTES"
        ? { bytes_contents: values.map((v) => Buffer.from(String(v))) }
        : datatype === "BOOL"
          ? { bool_contents: values }
          : datatype === "INT64"
            ? { int64_contents: values }
            : { fp64_contents: values };
    return { name, datatype, shape: [rows.length], contents };
  });

/** The same values as raw little-endian bytes, one entry per input. */
function rawOf(datatype: string, values: unknown[]): Buffer {
  if (datatype === "FP64") return Buffer.from(new Float64Array(values as number[]).buffer);
  if (datatype === "INT64") return Buffer.from(new BigInt64Array((values as number[]).map(BigInt)).buffer);
  if (datatype === "BOOL") return Buffer.from(values.map((v) => (v ? 1 : 0)));
  return Buffer.concat(
    (values as string[]).flatMap((s) => {
      const n = Buffer.alloc(4);
      n.writeUInt32LE(Buffer.byteLength(s));
      return [n, Buffer.from(s)];
    }),
  );
}

function decodeRaw(datatype: string, b: Buffer): unknown[] {
  const copy = new Uint8Array(b).buffer;
  if (datatype === "FP64") return Array.from(new Float64Array(copy));
  if (datatype === "INT64") return Array.from(new BigInt64Array(copy), Number);
  if (datatype === "INT32") return Array.from(new Int32Array(copy));
  throw new Error(datatype);
}

/** An output's typed contents as plain numbers or strings. */
function valuesOf(o: { datatype: string; contents: Record<string, unknown[]> }): unknown[] {
  const c = o.contents;
  if (o.datatype === "INT64") return c.int64_contents.map(Number);
  if (o.datatype === "INT32") return c.int_contents;
  if (o.datatype === "BYTES") return c.bytes_contents.map(String);
  return c.fp64_contents;
}

let srv: RunningServer;
let client: Client;
let logFile: string;
beforeAll(async () => {
  logFile = join(mkdtempSync(join(tmpdir(), "lgbm-grpc-")), "predictions.jsonl");
  srv = await start(BUNDLE, { grpcPort: await freePort() });
  client = new Service(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Client;
  const meta = await get(srv.url, `/v2/models/${NAME}`);
  for (const i of meta.body.inputs) DATATYPE[i.name] = i.datatype;
});
afterAll(async () => {
  client?.close();
  await srv?.close();
});

/** The TCP ports this process listens on (Linux: its socket inodes in /proc/self/fd, matched in /proc/net/tcp*). */
function listeningPorts(): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex ip:port), st is f[3] (0A: LISTEN), inode is f[9]
      if (f[3] === "0A" && inodes.has(f[9] as string))
        ports.add(Number.parseInt(f[1]?.split(":")[1] ?? "", 16));
    }
  }
  return ports;
}

describe("off by default", () => {
  it.runIf(process.platform === "linux")(
    "a server started without grpcPort listens on its HTTP port only",
    async () => {
      // The check sees gRPC listeners: the suite's server (started with grpcPort) has one.
      expect(listeningPorts()).toContain(srv.grpcPort);
      const before = listeningPorts();
      const s = await start(BUNDLE);
      try {
        expect(s.grpcPort).toBeUndefined();
        const opened = [...listeningPorts()].filter((p) => !before.has(p));
        expect(opened).toEqual([s.port]);
      } finally {
        await s.close();
      }
    },
  );
});

describe("the .proto", () => {
  it("is what the server's descriptor was generated from (node src/server/grpc/gen-proto.mjs)", () => {
    const { root } = protobuf.parse(readFileSync(PROTO, "utf8"), { keepCase: true });
    expect(root.toJSON()).toEqual(GRPC_PREDICT_V2);
  });
});

describe("inference.GRPCInferenceService", () => {
  it("ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata", async () => {
    expect(await call(client, "ServerLive", {})).toEqual({ live: true });
    expect(await call(client, "ServerReady", {})).toEqual({ ready: true });
    expect(await call(client, "ServerMetadata", {})).toEqual({
      name: "lightgbm-node",
      version: expect.any(String),
      extensions: ["model_repository"],
    });
    expect(await call(client, "ModelReady", { name: NAME })).toEqual({ ready: true });
    expect(await call(client, "ModelReady", { name: NAME, version: "1" })).toEqual({ ready: true });
    // A model that is not there: NOT_FOUND with REST's message (as ModelMetadata and ModelInfer report it).
    for (const [req, path] of [
      [{ name: "nope" }, "/v2/models/nope/ready"],
      [{ name: NAME, version: "9" }, `/v2/models/${NAME}/versions/9/ready`],
    ] as const) {
      const rest = await get(srv.url, path);
      expect(rest.status, path).toBe(404);
      const e = await failure(call(client, "ModelReady", req));
      expect(e.code, path).toBe(grpc.status.NOT_FOUND);
      expect(e.details, path).toBe(rest.body.error);
      const meta = await failure(call(client, "ModelMetadata", req));
      expect([meta.code, meta.details]).toEqual([e.code, e.details]);
    }
    expect((await failure(call(client, "ModelReady", { name: "" }))).code).toBe(grpc.status.INVALID_ARGUMENT);
    const m = await call(client, "ModelMetadata", { name: NAME });
    const rest = (await get(srv.url, `/v2/models/${NAME}`)).body;
    const shapes = (ts: { shape: (string | number)[] }[]) =>
      ts.map((t) => ({ ...t, shape: t.shape.map(Number) }));
    expect({ ...m, inputs: shapes(m.inputs), outputs: shapes(m.outputs) }).toEqual(rest);
  });

  it("ModelInfer: typed contents, raw contents and REST give the same numbers, for every declared output", async () => {
    const rest = await post(srv.url, `/v2/models/${NAME}/infer`, {
      inputs: Object.keys(RECORD).map((name) => ({
        name,
        shape: [2],
        datatype: DATATYPE[name],
        data: col(name),
      })),
    });
    expect(rest.status).toBe(200);
    const typed = await call(client, "ModelInfer", { model_name: NAME, id: "t-1", inputs: typedInputs() });
    expect(typed).toMatchObject({ model_name: NAME, model_version: "1", id: "t-1" });
    expect(typed.raw_output_contents).toEqual([]);
    expect(typed.outputs.map((o: any) => o.name)).toEqual(rest.body.outputs.map((o: any) => o.name));
    expect(typed.outputs.map((o: any) => valuesOf(o))).toEqual(rest.body.outputs.map((o: any) => o.data));
    expect(typed.outputs.map((o: any) => o.shape.map(Number))).toEqual(
      rest.body.outputs.map((o: any) => o.shape),
    );

    const inputs = typedInputs().map(({ contents: _c, ...t }) => t);
    const raw = await call(client, "ModelInfer", {
      model_name: NAME,
      inputs,
      raw_input_contents: inputs.map((t) => rawOf(t.datatype, col(t.name))),
    });
    expect(raw.raw_output_contents).toHaveLength(rest.body.outputs.length);
    raw.outputs.forEach((o: any, i: number) => {
      expect(o.datatype).toBe(rest.body.outputs[i].datatype);
      expect(decodeRaw(o.datatype, raw.raw_output_contents[i])).toEqual(rest.body.outputs[i].data);
    });
  });

  it("ModelInfer: requested outputs only; a [n, numFeatures] feature tensor; a pinned version", async () => {
    const features = [0.38, 0.53, 2, 157, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
    const r = await call(client, "ModelInfer", {
      model_name: NAME,
      model_version: "1",
      inputs: [{ name: "features", datatype: "FP64", shape: [1, 20], contents: { fp64_contents: features } }],
      outputs: [{ name: "predict_proba" }],
    });
    const classic = (await post(srv.url, "/predict", HR_RECORD)).body;
    expect(r.outputs).toHaveLength(1);
    expect(valuesOf(r.outputs[0])).toEqual([1 - classic.probability, classic.probability]);
  });

  it("errors are status codes with messages: INVALID_ARGUMENT naming the input, NOT_FOUND", async () => {
    const bad = typedInputs().map((t) =>
      t.name === "sales"
        ? { ...t, contents: { bytes_contents: [Buffer.from("nope"), Buffer.from("hr")] } }
        : t,
    );
    const e1 = await failure(call(client, "ModelInfer", { model_name: NAME, inputs: bad }));
    expect(e1.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e1.details).toMatch(/row 0: sales: expected one of/);
    const wrongField = typedInputs().map((t) =>
      t.name === "number_project" ? { ...t, contents: { fp64_contents: [2, 3] } } : t,
    );
    const e2 = await failure(call(client, "ModelInfer", { model_name: NAME, inputs: wrongField }));
    expect(e2.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e2.details).toMatch(
      /input "number_project": a INT64 tensor's values go in contents.int64_contents/,
    );
    const short = typedInputs().map((t) => (t.name === "salary" ? { ...t, shape: [3] } : t));
    const e3 = await failure(call(client, "ModelInfer", { model_name: NAME, inputs: short }));
    expect(e3.details).toMatch(/input "salary": shape \[3\] holds 3 values but the data has 2/);
    const e4 = await failure(
      call(client, "ModelInfer", {
        model_name: NAME,
        inputs: typedInputs(),
        raw_input_contents: [Buffer.alloc(8)],
      }),
    );
    expect(e4.details).toMatch(/raw_input_contents has 1 entries for 9 inputs/);
    const e5 = await failure(
      call(client, "ModelInfer", { model_name: NAME, inputs: typedInputs(), outputs: [{ name: "x" }] }),
    );
    expect(e5.details).toMatch(/output "x" is not an output/);
    for (const [method, req] of [
      ["ModelInfer", { model_name: "nope", inputs: typedInputs() }],
      ["ModelInfer", { model_name: NAME, model_version: "9", inputs: typedInputs() }],
      ["ModelMetadata", { name: "nope" }],
      ["RepositoryModelUnload", { model_name: "nope" }],
    ] as const) {
      const e = await failure(call(client, method, req));
      expect(e.code, method).toBe(grpc.status.NOT_FOUND);
      expect(e.details).toMatch(/nope|"9"/);
    }
  });

  it("shares micro-batching, metrics, the prediction log and drift with REST", async () => {
    const drift0 = (await get(srv.url, `/drift/${NAME}`)).body.rows ?? 0;
    const metric = async (name: string, labels: string) => {
      const line = (await get(srv.url, "/metrics")).text
        .split("\n")
        .find((l: string) => l.startsWith(`${name}{${labels}}`));
      return line === undefined ? 0 : Number(line.split(" ").at(-1));
    };
    const calls0 = await metric("lgbm_engine_batch_rows_count", `model="${NAME}"`);
    const n = 60;
    const one = typedInputs().map((t) => ({
      ...t,
      shape: [1],
      contents: Object.fromEntries(
        Object.entries(t.contents).map(([k, v]) => [k, (v as unknown[]).slice(0, 1)]),
      ),
    }));
    await Promise.all(
      Array.from({ length: n }, () =>
        call(client, "ModelInfer", { model_name: NAME, inputs: one, outputs: [{ name: "predict" }] }),
      ),
    );
    const calls = (await metric("lgbm_engine_batch_rows_count", `model="${NAME}"`)) - calls0;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(n); // concurrent calls share engine calls
    expect(await metric("lgbm_grpc_requests_total", 'method="ModelInfer",code="OK"')).toBeGreaterThanOrEqual(
      n,
    );
    expect(
      await metric("lgbm_grpc_requests_total", 'method="ModelInfer",code="INVALID_ARGUMENT"'),
    ).toBeGreaterThan(0);
    expect(
      await metric("lgbm_grpc_request_duration_seconds_count", 'method="ModelInfer",code="OK"'),
    ).toBeGreaterThanOrEqual(n);
    expect((await get(srv.url, `/drift/${NAME}`)).body.rows).toBeGreaterThanOrEqual(drift0 + n);
    // the prediction log, read once its server has flushed it at shutdown
    const logged = await start(BUNDLE, { grpcPort: await freePort(), predictionLog: logFile });
    const c = new Service(
      `127.0.0.1:${logged.grpcPort}`,
      grpc.credentials.createInsecure(),
    ) as unknown as Client;
    const id = "grpc-log-1";
    const md = new grpc.Metadata();
    md.set("x-request-id", id);
    try {
      await call(
        c,
        "ModelInfer",
        { model_name: NAME, inputs: typedInputs(), outputs: [{ name: "predict" }] },
        md,
      );
    } finally {
      c.close();
      await logged.close();
    }
    const lines = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const mine = lines.filter((l) => l.request_id === id);
    expect(mine.map((l) => [l.route, l.row, l.input.sales])).toEqual([
      ["grpc_infer", 0, "sales"],
      ["grpc_infer", 1, "hr"],
    ]);
    expect(mine[0].output).toEqual({ prediction: expect.any(Number), probability: expect.any(Number) });
  });
});

describe("model repository RPCs", () => {
  it("RepositoryIndex, RepositoryModelUnload, RepositoryModelLoad (Triton's and KServe's field layouts)", async () => {
    const s = await start(join(FIXTURES, "repo"), { grpcPort: await freePort() });
    const c = new Service(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Client;
    try {
      const index = async () => (await call(c, "RepositoryIndex", {})).models;
      expect(await index()).toContainEqual({ name: "iris", version: "1", state: "READY", reason: "" });
      expect(await call(c, "RepositoryModelUnload", { model_name: "iris" })).toEqual({});
      expect(await index()).toContainEqual({
        name: "iris",
        version: "1",
        state: "UNAVAILABLE",
        reason: "not loaded",
      });
      expect(
        (await call(c, "RepositoryIndex", { ready: true })).models.map((m: any) => m.name),
      ).not.toContain("iris");
      const unloaded = await failure(call(c, "ModelReady", { name: "iris" }));
      expect(unloaded.code).toBe(grpc.status.NOT_FOUND);
      expect(unloaded.details).toBe((await get(s.url, "/v2/models/iris/ready")).body.error);
      // Triton's layout: model_name is field 2
      expect(await call(c, "RepositoryModelLoad", { model_name: "iris" })).toEqual({});
      expect(await call(c, "ModelReady", { name: "iris" })).toEqual({ ready: true });
      // KServe's grpc_predict_v2.proto puts the model's name in field 1 (Triton's repository_name)
      await call(c, "RepositoryModelUnload", { repository_name: "iris" });
      expect(await call(c, "RepositoryModelLoad", { repository_name: "iris" })).toEqual({});
      expect(await call(c, "ModelReady", { name: "iris" })).toEqual({ ready: true });
      const e = await failure(call(c, "RepositoryModelLoad", { model_name: "nope" }));
      expect(e.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      c.close();
      await s.close();
    }
  });
});

describe("API keys", () => {
  it("the same keys as REST in authorization metadata; the health RPCs stay public", async () => {
    const s = await start(BUNDLE, { grpcPort: await freePort() }, { LGBM_API_KEYS: KEY });
    const c = new Service(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Client;
    const with_ = (value: string) => {
      const md = new grpc.Metadata();
      md.set("authorization", value);
      return md;
    };
    try {
      expect(await call(c, "ServerLive", {})).toEqual({ live: true });
      expect(await call(c, "ServerReady", {})).toEqual({ ready: true });
      for (const md of [new grpc.Metadata(), with_("Bearer wrong"), with_(`Basic ${KEY}`)]) {
        const e = await failure(call(c, "ModelMetadata", { name: NAME }, md));
        expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(e.details).toMatch(/API key/);
        expect(
          (await failure(call(c, "ModelInfer", { model_name: NAME, inputs: typedInputs() }, md))).code,
        ).toBe(grpc.status.UNAUTHENTICATED);
      }
      const ok = await call(
        c,
        "ModelInfer",
        { model_name: NAME, inputs: typedInputs() },
        with_(`Bearer ${KEY}`),
      );
      expect(ok.outputs.length).toBeGreaterThan(0);
      // REST takes the same key
      expect((await post(s.url, "/predict", HR_RECORD, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    } finally {
      c.close();
      await s.close();
    }
  });
});
