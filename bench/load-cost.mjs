// What the canonical-text design costs at load (README, "No model file can crash the process"): the
// model-text parser, the canonical writer and LightGBM's load of the canonical text, against LightGBM's
// load of the original text alone (what the SDK no longer does). Alternating rounds, medians and bests.
//   node bench/load-cost.mjs [--rounds 15]
import { join } from "node:path";
import { largeModelFile, readModelText, root, shippedModelFile } from "./lib/models.mjs";

const { parseModel } = await import(join(root, "dist/model-text/parse.js"));
const { writeModelText } = await import(join(root, "dist/model-text/write.js"));
const { loadBinding } = await import(join(root, "dist/native/binding.js"));
const { Booster } = loadBinding();

const roundsArg = process.argv.indexOf("--rounds");
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const quiet = !process.stdout.isTTY;

function time(fn) {
  const t0 = process.hrtime.bigint();
  const v = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, v];
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a) => Math.min(...a);

const models = [
  ["shipped (hr-attrition)", shippedModelFile()],
  ["large (500 trees x 127 leaves)", await largeModelFile({ log: (m) => quiet || console.error(m) })],
];
const rows = [];
for (const [name, file] of models) {
  const text = readModelText(file);
  const t = { parse: [], write: [], loadCanonical: [], total: [], loadRaw: [] };
  for (let i = 0; i < rounds + 2; i++) {
    // alternate which side goes first
    const sides = [
      () => {
        const [p, parsed] = time(() => parseModel(text));
        const [w, canonical] = time(() => writeModelText(parsed));
        const [l, b] = time(() => new Booster("string", canonical));
        b.dispose();
        if (i >= 2) {
          t.parse.push(p);
          t.write.push(w);
          t.loadCanonical.push(l);
          t.total.push(p + w + l);
        }
      },
      () => {
        const [l, b] = time(() => new Booster("string", text));
        b.dispose();
        if (i >= 2) t.loadRaw.push(l);
      },
    ];
    if (i % 2) sides.reverse();
    for (const s of sides) s();
  }
  rows.push({
    name,
    bytes: text.length,
    ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [median(v), best(v)]])),
  });
}
const f = ([m, b]) => `${m.toFixed(1)} (${b.toFixed(1)})`;
console.log(`load cost, ms: median (best) of ${rounds} alternating rounds`);
console.log(
  "| model | size | parse | write | LightGBM load of canonical text | total | LightGBM load of the file alone | ratio |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${(r.bytes / 1024).toFixed(0)} KB | ${f(r.parse)} | ${f(r.write)} | ${f(r.loadCanonical)} | ${f(r.total)} | ${f(r.loadRaw)} | ${(r.total[0] / r.loadRaw[0]).toFixed(2)}x |`,
  );
}
