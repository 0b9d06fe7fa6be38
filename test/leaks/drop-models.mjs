// Loads COUNT models and drops them without dispose(), then prints how many were finalized and the
// peak RSS. With the native memory of each model reported to V8 (AdjustExternalMemory), the garbage
// collector runs under that pressure and frees them; without it, V8 sees a few small objects only.
//   node --max-old-space-size=64 test/leaks/drop-models.mjs [booster|engine|walker] [count]
// ("walker": the addon's walk kernel over a model's tables, each holding its own copy of them.)
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
const { Booster, TableWalk } = loadBinding();
let walkSource;
if (mode === "walker") {
  const { CompiledForest } = await import(join(root, "dist/compiled/forest.js"));
  const { buildLayout } = await import(join(root, "dist/model-text/layout.js"));
  const big = parseModel(chainForest(64, 128));
  const forest = CompiledForest.fromModel(big, buildLayout(big), { walk: "always", shared: true });
  walkSource = forest.walkSource();
}

let finalized = 0;
const registry = new FinalizationRegistry(() => finalized++);
let peak = 0;
const row = new Float64Array(20);
for (let i = 0; i < count; i++) {
  // "booster": the addon's object alone (almost no JS garbage); "engine": the SDK's NativeEngine
  const m =
    mode === "booster"
      ? new Booster("string", canonical)
      : mode === "walker"
        ? new TableWalk(walkSource.tables, walkSource.spec, "auto")
        : NativeEngine.fromString(text);
  if (i === 0 && mode === "walker") console.error(`each walker holds ${m.bytes} bytes`);
  if (mode === "engine") m.predictRow(row);
  registry.register(m, i);
  if (i % 50 === 0) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise((r) => setImmediate(r)); // let finalizers run, as a live program would
  }
}
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ mode, count, finalized, peakRssMB: Math.round(peak / 1e6) }));

/** A regression model of `trees` chain trees of `splits` splits over two features (~200 KB of walk tables). */
function chainForest(trees, splits) {
  const idx = Array.from({ length: splits }, (_, i) => i);
  const tree = (t) =>
    [
      `Tree=${t}`,
      `num_leaves=${splits + 1}`,
      "num_cat=0",
      `split_feature=${idx.map((i) => i % 2).join(" ")}`,
      `threshold=${idx.map((i) => i - splits / 2).join(" ")}`,
      `decision_type=${idx.map(() => 2).join(" ")}`,
      `left_child=${idx.map((i) => -(i + 1)).join(" ")}`,
      `right_child=${idx.map((i) => (i + 1 < splits ? i + 1 : -(splits + 1))).join(" ")}`,
      `leaf_value=${Array.from({ length: splits + 1 }, (_, i) => i * 0.001).join(" ")}`,
      "shrinkage=1",
      "",
    ].join("\n");
  const head =
    "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=1\nobjective=regression\nfeature_names=a b\nfeature_infos=none none\n\n";
  return `${head}${Array.from({ length: trees }, (_, t) => tree(t)).join("\n")}\nend of trees\n`;
}
