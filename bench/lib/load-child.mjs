// One model loaded in a fresh process: what loading costs (time, memory) and how soon predictions are fast.
//   node [--no-liftoff] bench/lib/load-child.mjs <native|wasm|lightgbm> <model.txt> [seconds of rows, 2.5]
// Prints one JSON line. With --no-liftoff V8 compiles every WebAssembly function with its optimizing
// compiler before the first call: load + first row then measure the whole compile, which otherwise
// happens in the background while the first predictions run on V8's baseline code.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, syntheticRows } from "./models.mjs";

const [which, modelFile, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 2.5);
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const { WasmEngine } = await import(join(root, "dist/engines/wasm/index.js"));
const mem = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
};
const text = readFileSync(modelFile, "utf8");
globalThis.gc?.();
const before = mem();
const t0 = performance.now();
const engine =
  which === "wasm"
    ? WasmEngine.fromString(text)
    : NativeEngine.fromString(text, { numThreads: 1, compiled: which === "native" });
const loadMs = performance.now() - t0;
const nf = engine.info.numFeatures;
const data = syntheticRows(4096, nf, 11);
const row = data.subarray(0, nf);
const t1 = performance.now();
engine.predictRow(row);
const firstMs = performance.now() - t1;
// then rows for `seconds`, in slices of 256 rows
const slices = [];
const t2 = performance.now();
for (let s = 0; performance.now() - t2 < seconds * 1000; s++) {
  const a = performance.now();
  for (let i = 0; i < 256; i++) engine.predictRow(data.subarray((i % 4096) * nf, ((i % 4096) + 1) * nf));
  slices.push({ at: a - t2, us: ((performance.now() - a) * 1000) / 256 });
}
const fast = Math.min(...slices.map((s) => s.us));
// when single rows first ran within 1.25x of the fastest slice: the optimizing compile is done by then
const steady = slices.find((s) => s.us <= fast * 1.25);
globalThis.gc?.();
const after = mem();
const compiled = which === "wasm" ? engine.memoryUse : which === "native" ? engine.compiledMemory : undefined;
process.stdout.write(
  `${JSON.stringify({
    engine: which,
    loadMs,
    firstRowMs: firstMs,
    steadyAfterMs: steady ? steady.at : null,
    rowUsFirstSlice: slices[0].us,
    rowUsFastest: fast,
    rssDelta: after.rss - before.rss,
    heapDelta: after.heap - before.heap,
    externalDelta: after.external - before.external,
    compiled,
  })}\n`,
);
engine.dispose();
