// Loads COUNT models and drops them without dispose(), then prints how many were finalized and the
// peak RSS. With the native memory of each model reported to V8 (AdjustExternalMemory), the garbage
// collector runs under that pressure and frees them; without it, V8 sees a few small objects only.
//   node --max-old-space-size=64 test/leaks/drop-models.mjs [booster|engine] [count]
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
const [mode = "booster", countArg = "2000"] = process.argv.slice(2);
const count = Number(countArg);
const { parseModel } = await import(join(root, "dist/model-text/parse.js"));
const { writeModelText } = await import(join(root, "dist/model-text/write.js"));
const { loadBinding } = await import(join(root, "dist/native/binding.js"));
const { NativeEngine } = await import(join(root, "dist/engines/native.js"));
const text = readFileSync(join(root, "models/hr-attrition/model.txt"), "utf8");
const canonical = writeModelText(parseModel(text));
const { Booster } = loadBinding();

let finalized = 0;
const registry = new FinalizationRegistry(() => finalized++);
let peak = 0;
const row = new Float64Array(20);
for (let i = 0; i < count; i++) {
  // "booster": the addon's object alone (almost no JS garbage); "engine": the SDK's NativeEngine
  const m = mode === "booster" ? new Booster("string", canonical) : NativeEngine.fromString(text);
  if (mode === "engine") m.predictRow(row);
  registry.register(m, i);
  if (i % 50 === 0) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise((r) => setImmediate(r)); // let finalizers run, as a live program would
  }
}
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ mode, count, finalized, peakRssMB: Math.round(peak / 1e6) }));
