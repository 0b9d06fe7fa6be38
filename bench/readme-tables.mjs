#!/usr/bin/env node
// The README's engine-benchmark tables from bench/results/engines.json (the run of record), so that the
// README quotes the run rather than a transcription of it: node bench/readme-tables.mjs [engines.json]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib/models.mjs";

const file = process.argv[2] ?? join(root, "bench/results/engines.json");
const report = JSON.parse(readFileSync(file, "utf8"));
const rate = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
const ratio = (x) => `${x.toFixed(2)}x`;
const out = [];

out.push(
  `${report.date.slice(0, 10)}; ${report.machine.cpu}, ${report.machine.threads} threads; Node ${report.machine.node}; load average ${report.loadAverage.start[0]} at the start, ${report.loadAverage.end[0]} at the end (1 min); ${report.seconds} s.`,
  "",
);

// goals: one row per model and goal, one column per batch size
const sizes = [...new Set(report.goals.filter((g) => g.batch !== null).map((g) => g.batch))].sort(
  (a, b) => a - b,
);
out.push(
  `| model | goal | ${sizes.map((n) => `batch ${n.toLocaleString("en")}`).join(" | ")} |`,
  `|---|---|${sizes.map(() => "---:").join("|")}|`,
);
const keyed = new Map();
for (const g of report.goals) {
  const key = `${g.model}|${g.goal}`;
  if (!keyed.has(key)) keyed.set(key, { model: g.model, goal: g.goal, cells: new Map() });
  keyed.get(key).cells.set(g.batch, g);
}
for (const { model, goal, cells } of keyed.values()) {
  if (cells.has(null)) continue;
  const row = sizes.map((n) => {
    const g = cells.get(n);
    return g ? `${g.met ? "" : "**"}${ratio(g.value)}${g.met ? "" : "**"}` : "";
  });
  out.push(`| ${model.split(" (")[0]} | ${goal} | ${row.join(" | ")} |`);
}
for (const g of report.goals.filter((x) => x.batch === null)) {
  out.push(
    `| ${g.model.split(" (")[0]} | ${g.goal} | ${g.value.toFixed(2)} s (${g.met ? "met" : "**not met**"}) |`,
  );
}
out.push(
  "",
  "Bold: goal not met in this run (ratios of best rounds; the median-round ratios are in engines.md).",
  "",
);
// what the host gave the two vCPUs around each 2-thread cell (runs since bench/lib/vcpus.mjs)
const probes = report.models.flatMap((e) => (e.vcpus ?? []).map((v) => ({ model: e.model, ...v })));
if (probes.length) {
  const walk = (p) => `${p.walk.alone.join("/")}, ${p.walk.together}x`;
  out.push(
    `The host's vCPUs around each 2-thread cell (\`node bench/vcpus.mjs\`; the tree walk of the shipped model's 1,000-row batch on one thread pinned to cpu0/cpu1 alone, M rows/s, then on both at once over the faster alone; two full cores give about 2x; before each cell the bench waits, for at most 90 s, until each vCPU runs the walk within 15% of the other and both at once at 1.8x or more), before → after: ${probes
      .map(
        (p) =>
          `${p.model.split(" (")[0]} ${p.batch.toLocaleString("en")} rows ${walk(p.before)} → ${walk(p.after)}`,
      )
      .join("; ")}. The integer loop's figures are in engines.md.`,
    "",
  );
}

for (const e of report.models) {
  const names = e.contenders.map((c) => c.name);
  out.push(`**${e.model}** (rows/s, best round):`, "");
  out.push(`| batch | ${names.join(" | ")} |`, `|---:|${names.map(() => "---:").join("|")}|`);
  for (const n of sizes) {
    const cells = names.map((name) => {
      const r = e.results.find((x) => x.engine === name && x.batch === n && !x.same);
      return r ? rate(r.rowsPerSec) : "-";
    });
    out.push(`| ${n.toLocaleString("en")} | ${cells.join(" | ")} |`);
  }
  if (e.results.some((x) => x.same)) {
    const cells = names.map((name) => {
      const r = e.results.find((x) => x.engine === name && x.same);
      return r ? rate(r.rowsPerSec) : "";
    });
    out.push(`| 10, same rows every call | ${cells.join(" | ")} |`);
  }
  out.push("");
  if (e.instructions) {
    const f = (x) =>
      x ? `${Math.round(x.row).toLocaleString("en")} / ${Math.round(x.batch).toLocaleString("en")}` : "-";
    out.push(
      `Instructions per row (callgrind; single row / 10k batch): native ${f(e.instructions.native)}, LightGBM's C API ${f(e.instructions.capi)}, gcc -O2 ${f(e.instructions.gcc)}.`,
      "",
    );
  }
  if (e.load) {
    const l = e.load;
    out.push(
      `Load: native ${l.native.loadMs.toFixed(0)} ms (LightGBM alone ${l.lightgbm.loadMs.toFixed(0)} ms), first row ${l.native.firstRowMs.toFixed(1)} ms after it, full speed ${l.native.steadyAfterMs?.toFixed(0) ?? "-"} ms after that; the whole optimising compile (--no-liftoff) ${(l.fullCompile.loadMs + l.fullCompile.firstRowMs).toFixed(0)} ms. Memory: module ${(l.native.compiled.wasmBytes / 2 ** 20).toFixed(2)} MB, WebAssembly memory ${(l.native.compiled.memoryBytes / 2 ** 20).toFixed(1)} MB; resident set growth of a fresh process after load and 2.5 s of rows: native ${(l.native.rssDelta / 2 ** 20).toFixed(0)} MB, wasm ${(l.wasm.rssDelta / 2 ** 20).toFixed(0)} MB, LightGBM alone ${(l.lightgbm.rssDelta / 2 ** 20).toFixed(0)} MB.`,
      "",
    );
  }
}
process.stdout.write(`${out.join("\n")}\n`);
