#!/usr/bin/env node
/**
 * gRPC benchmark of `lgbm serve --grpc-port`: ModelInfer (one record, typed contents and raw contents)
 * at 1, 16 and 64 concurrent streams on one channel, beside REST /predict (autocannon) and REST V2
 * /infer at the same concurrency, against the same server process in the same run: short rounds,
 * alternating which goes first. Not a test: numbers depend on the machine; the load generators run on
 * the same cores as the server (and @grpc/grpc-js's client costs more CPU per call than autocannon's).
 *
 *   npm run build:ts && node bench/grpc.mjs [--quick] [--rounds 3] [--seconds 2] [--streams 1,16,64]
 *
 * Writes bench/results/grpc.json and bench/results/grpc.md.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import autocannon from "autocannon";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROUNDS = Number(opt("--rounds", quick ? 1 : 3));
const SECONDS = Number(opt("--seconds", quick ? 1 : 2));
const STREAMS = opt("--streams", quick ? "1,16" : "1,16,64")
  .split(",")
  .map(Number);
const bundle = opt("--bundle", "models/hr-attrition");
const KEY = "bench-key";

const RECORD = {
  satisfaction_level: 0.38,
  last_evaluation: 0.53,
  number_project: 2,
  average_montly_hours: 157,
  time_spend_company: 3,
  Work_accident: 0,
  promotion_last_5years: 0,
  sales: "sales",
  salary: "low",
};

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startServer() {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      "bin/lgbm.js",
      "serve",
      bundle,
      "--port",
      String(port),
      "--grpc-port",
      String(grpcPort),
      "--profile",
      "production",
      "--rate-limit",
      "0",
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, LGBM_API_KEYS: KEY } },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    grpcPort,
    pid: child.pid,
    stop: () =>
      new Promise((r) => {
        child.once("exit", r);
        child.kill("SIGTERM");
      }),
  };
}

/** The client, from the server's own descriptor (dist/), as any @grpc/grpc-js client would load the .proto. */
async function grpcClient(port) {
  const { inferenceService } = await import(join(ROOT, "dist/server/grpc/proto.js"));
  const { Client } = inferenceService();
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** The model's inputs (one per field) as the metadata declares them, typed and raw. */
async function requests(url) {
  const meta = await (
    await fetch(`${url}/v2/models/hr-attrition`, { headers: { authorization: `Bearer ${KEY}` } })
  ).json();
  const typed = [];
  const raw = [];
  const json = [];
  for (const { name, datatype } of meta.inputs) {
    const v = RECORD[name];
    const value = datatype === "BOOL" ? v === 1 : v;
    const field =
      datatype === "BYTES"
        ? "bytes_contents"
        : datatype === "BOOL"
          ? "bool_contents"
          : datatype === "INT64"
            ? "int64_contents"
            : "fp64_contents";
    typed.push({
      name,
      datatype,
      shape: [1],
      contents: { [field]: [datatype === "BYTES" ? Buffer.from(value) : value] },
    });
    const buf =
      datatype === "BYTES"
        ? Buffer.concat([Buffer.from([value.length, 0, 0, 0]), Buffer.from(value)])
        : datatype === "BOOL"
          ? Buffer.from([value ? 1 : 0])
          : datatype === "INT64"
            ? Buffer.from(new BigInt64Array([BigInt(value)]).buffer)
            : Buffer.from(new Float64Array([value]).buffer);
    raw.push(buf);
    json.push({ name, datatype, shape: [1], data: [value] });
  }
  const outputs = [{ name: "predict" }, { name: "predict_proba" }];
  return {
    typed: { model_name: "hr-attrition", inputs: typed, outputs },
    raw: {
      model_name: "hr-attrition",
      inputs: typed.map(({ contents: _c, ...t }) => t),
      raw_input_contents: raw,
      outputs,
    },
    v2: JSON.stringify({ inputs: json, outputs }),
  };
}

/** `streams` loops, each calling ModelInfer back to back for `seconds`: calls per second. */
async function grpcRound(client, request, streams, seconds) {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${KEY}`);
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const loop = async () => {
    while (performance.now() < until) {
      await new Promise((resolve) =>
        client.ModelInfer(request, md, (err) => {
          if (err) errors++;
          else done++;
          resolve();
        }),
      );
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: streams }, loop));
  return { rps: Math.round(done / ((performance.now() - t0) / 1000)), errors };
}

function restRound(url, path, body, connections, seconds) {
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url: url + path,
        method: "POST",
        connections,
        duration: seconds,
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body,
      },
      (err, r) =>
        err ? reject(err) : resolve({ rps: Math.round(r.requests.average), errors: r.non2xx + r.errors }),
    ),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** CPU time (user + system, µs) the server process has used so far; undefined off Linux. */
function cpuMicros(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function main() {
  const s = await startServer();
  const client = await grpcClient(s.grpcPort);
  const req = await requests(s.url);
  const scenarios = {
    "gRPC ModelInfer, typed contents": (n) => grpcRound(client, req.typed, n, SECONDS),
    "gRPC ModelInfer, raw contents": (n) => grpcRound(client, req.raw, n, SECONDS),
    "REST /predict": (n) => restRound(s.url, "/predict", JSON.stringify(RECORD), n, SECONDS),
    "REST /v2/models/hr-attrition/infer": (n) =>
      restRound(s.url, "/v2/models/hr-attrition/infer", req.v2, n, SECONDS),
  };
  // warm-up
  for (const run of Object.values(scenarios)) await run(4);
  const rows = [];
  for (const streams of STREAMS) {
    const per = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
    const cpu = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.keys(scenarios);
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        const c0 = cpuMicros(s.pid);
        const r = await scenarios[name](streams);
        const c1 = cpuMicros(s.pid);
        if (r.errors) console.log(`${name}: ${r.errors} errors`);
        per[name].push(r.rps);
        if (c0 !== undefined && c1 !== undefined && r.rps > 0)
          cpu[name].push(Math.round((c1 - c0) / (r.rps * SECONDS)));
      }
    }
    for (const [name, rps] of Object.entries(per)) {
      const row = {
        scenario: name,
        streams,
        rounds: ROUNDS,
        medianRps: median(rps),
        best: Math.max(...rps),
        serverCpuUsPerReq: cpu[name].length ? median(cpu[name]) : undefined,
      };
      rows.push(row);
      console.log(
        `${name.padEnd(40)} ${String(streams).padStart(3)} streams  ${String(row.medianRps).padStart(6)} req/s (median of ${ROUNDS}, best ${row.best}), server CPU ${row.serverCpuUsPerReq ?? "?"} µs/req`,
      );
    }
  }
  client.close();
  await s.stop();
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const date = new Date().toISOString();
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench/results/grpc.json"),
    `${JSON.stringify({ date, quick, bundle, machine, rows }, null, 2)}\n`,
  );
  const md = [
    "# gRPC benchmark (`node bench/grpc.mjs`)",
    "",
    `${date}, ${machine.cpus} × ${machine.cpu}, Node ${machine.node}, bundle \`${bundle}\`, one record a call, outputs predict and predict_proba (REST /predict: its classic answer).`,
    `One server (\`lgbm serve --profile production --grpc-port\`, API keys on); ${ROUNDS} rounds of ${SECONDS} s per cell, alternating; the load generators share the cores.`,
    "",
    "| scenario | streams / connections | req/s (median) | best | server CPU µs/req (median) |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) => `| ${r.scenario} | ${r.streams} | ${r.medianRps} | ${r.best} | ${r.serverCpuUsPerReq ?? ""} |`,
    ),
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "bench/results/grpc.md"), md);
  console.log("wrote bench/results/grpc.json and bench/results/grpc.md");
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
