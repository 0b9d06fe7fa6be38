// One engine, loaded and warmed up, then phases on request (run under callgrind by bench/lib/callgrind.mjs,
// which zeroes the counters before a phase and dumps them after it): after "ready", each stdin line
// "rows N" predicts N single rows, "batch N" N batches of 10,000 rows, and answers "done".
//   node bench/lib/callgrind-child.mjs <native|wasm> <model.txt> <rows.f64>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { root } from "./models.mjs";

const [which, modelFile, dataFile] = process.argv.slice(2);
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const { WasmEngine } = await import(join(root, "dist/engines/wasm/index.js"));
const engine =
  which === "wasm"
    ? WasmEngine.fromString(readFileSync(modelFile, "utf8"))
    : NativeEngine.fromFile(modelFile, { numThreads: 1 });
const nf = engine.info.numFeatures;
const bytes = readFileSync(dataFile);
const data = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 10_000 * nf * 8));
const rows = Array.from({ length: 1024 }, (_, r) => data.subarray(r * nf, (r + 1) * nf));
const out = new Float64Array(engine.outputWidth());
// the same warm-up in every run
for (let i = 0; i < 2048; i++) engine.predictRow(rows[i % 1024], {}, out);
engine.predict(data, 10_000);
engine.predict(data, 10_000);
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [what, count] = line.split(" ");
  if (what === "rows") for (let i = 0; i < Number(count); i++) engine.predictRow(rows[i % 1024], {}, out);
  else for (let i = 0; i < Number(count); i++) engine.predict(data, 10_000);
  process.stdout.write("done\n");
}
engine.dispose();
