// One engine, loaded and warmed up, then `rows` single-row calls and `batches` batches of 10,000 rows:
// run under callgrind three times by bench/lib/callgrind.mjs, which subtracts the totals.
//   node bench/lib/callgrind-child.mjs <native|wasm> <model.txt> <rows.f64> <rows> <batches>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./models.mjs";

const [which, modelFile, dataFile, rowsArg, batchesArg] = process.argv.slice(2);
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
engine.predict(data.subarray(0, 1000 * nf), 1000);
for (let i = 0; i < Number(rowsArg); i++) engine.predictRow(rows[i % 1024], {}, out);
for (let i = 0; i < Number(batchesArg); i++) engine.predict(data, 10_000);
engine.dispose();
