/**
 * Records → validated, encoded matrix → prediction, on the shipped hr-attrition bundle (1 thread).
 * Goals: validate + encode + predict one record within 1.5 µs (p50) of predictRow on the already
 * encoded row; validate + encode 100k records at >= 2M records/s.
 *
 *   npm run build:ts && node bench/encode.bench.mjs
 *
 * Over dist/ (the compiled package, as users run it). One-record tasks time 100 calls per sample,
 * so the timer's resolution does not dominate; the numbers printed are per call.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { Bench } from "tinybench";
import { Model } from "../dist/index.js";

const root = join(import.meta.dirname, "..");
const bundle = join(root, "models/hr-attrition");
const model = await Model.load(bundle, { numThreads: 1 });
const rows = parse(readFileSync(join(bundle, "data/hr.csv")), { columns: true });
const typed = (r) => {
  const rec = {};
  for (const [k, v] of Object.entries(r))
    if (k !== "left") rec[k] = k === "sales" || k === "salary" ? v : Number(v);
  return rec;
};
const N = 100_000;
// Fresh objects (as JSON.parse would make them), cycling over the 14,999 rows.
const records = Array.from({ length: N }, (_, i) => typed(rows[i % rows.length]));
const encoded = records.slice(0, 1024).map((r) => model.encode([r]).data);
const INNER = 100;
let i = 0;

const bench = new Bench({ time: 2000, warmup: true, warmupTime: 300 });
bench
  .add(`predictRow on an encoded row (x${INNER})`, () => {
    for (let k = 0; k < INNER; k++) model.predictRow(encoded[i++ & 1023]);
  })
  .add(`predict(record): validate + encode + predict + named result (x${INNER})`, () => {
    for (let k = 0; k < INNER; k++) model.predict(records[i++ & 1023]);
  })
  .add(`validate + encode one record (x${INNER})`, () => {
    for (let k = 0; k < INNER; k++) model.validate(records[i++ & 1023]);
  })
  .add("validate + encode 100k records", () => {
    model.encode(records);
  })
  .add("validate + encode + predict 100k records (1 thread)", () => {
    model.predict(records, { numThreads: 1 });
  });
await bench.run();

const out = [];
for (const task of bench.tasks) {
  const l = task.result.latency;
  const per = task.name.includes(`x${INNER}`) ? INNER : 1;
  const p50us = (l.p50 * 1000) / per;
  const line = {
    task: task.name,
    "p50 per call (µs)": Number(p50us.toFixed(3)),
    samples: l.samples?.length ?? l.samplesCount,
  };
  if (task.name.includes("100k"))
    line["records/s (p50)"] = Math.round(N / (l.p50 / 1000)).toLocaleString("en-US");
  out.push(line);
}
console.table(out);
const p50 = (name) => bench.tasks.find((t) => t.name.startsWith(name)).result.latency.p50;
const overhead = ((p50("predict(record)") - p50("predictRow")) * 1000) / INNER;
const rate = N / (p50("validate + encode 100k") / 1000);
console.log(
  `record path overhead over predictRow: ${overhead.toFixed(3)} µs (goal <= 1.5 µs) ${overhead <= 1.5 ? "OK" : "MISSED"}`,
);
console.log(
  `validate + encode: ${Math.round(rate).toLocaleString("en-US")} records/s (goal >= 2,000,000) ${rate >= 2e6 ? "OK" : "MISSED"}`,
);
model.dispose();
