#!/usr/bin/env node
// Two builds of the package head to head on the shipped model: the native engine of each predicts the
// same batch in short rounds, one build's round right after the other's (the order alternating), and the
// ratio is taken per pair of rounds, so that both share the host's slow and fast seconds. On a noisy host
// a few percent show here as a consistent median of pairs and a one-sided count of pairs, where best
// rounds of separate runs do not.
//
//   cp -r dist dist-before                     (at the package root: a build finds the addon from there)
//   ... change, npm run build:ts ...
//   node bench/ab-builds.mjs dist-before dist [--rows 1000] [--threads 2] [--pairs 150] [--ms 20]
//
// Prints: the median of per-pair ratios (second build / first), their geometric mean and quartiles, in how
// many pairs the second build was faster, and each build's best round.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { hrRows, root, shippedModelFile } from "./lib/models.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const builds = argv.filter((a, i) => !a.startsWith("--") && !(i > 0 && argv[i - 1].startsWith("--")));
if (builds.length !== 2) {
  process.stderr.write(
    "usage: node bench/ab-builds.mjs <first dist> <second dist> [--rows N] [--threads N]\n",
  );
  process.exit(2);
}
const rows = option("--rows", 1000);
const threads = option("--threads", 2);
const pairs = option("--pairs", 150);
const ms = option("--ms", 20);

const file = shippedModelFile();
const batch = await hrRows(rows);
const engines = [];
for (const build of builds) {
  const entry = join(resolve(root, build), "engines/native.js");
  if (!existsSync(entry)) {
    process.stderr.write(`${entry} is missing: copy a built dist/ there (npm run build:ts)\n`);
    process.exit(2);
  }
  const { NativeEngine } = await import(pathToFileURL(entry).href);
  engines.push(NativeEngine.fromFile(file, { numThreads: threads }));
}

/** rows/s of one round: as many calls as fit in `ms`. */
const round = (engine) => {
  let calls = 0;
  const t0 = performance.now();
  let now;
  do {
    engine.predict(batch, rows);
    calls++;
    now = performance.now();
  } while (now - t0 < ms);
  return ((calls * rows) / (now - t0)) * 1000;
};

const [first, second] = engines;
for (let i = 0; i < 10; i++) {
  round(first);
  round(second);
}
const ratios = [];
const best = [0, 0];
for (let p = 0; p < pairs; p++) {
  // alternate which build goes first: the second of a pair can inherit the first's warm caches
  let x;
  let y;
  if (p % 2 === 0) {
    x = round(first);
    y = round(second);
  } else {
    y = round(second);
    x = round(first);
  }
  ratios.push(y / x);
  best[0] = Math.max(best[0], x);
  best[1] = Math.max(best[1], y);
}
for (const e of engines) e.dispose();

const sorted = [...ratios].sort((x, y) => x - y);
const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const geomean = Math.exp(ratios.reduce((t, r) => t + Math.log(r), 0) / ratios.length);
const faster = ratios.filter((r) => r > 1).length;
const f = (x) => x.toFixed(3);
console.log(
  `${rows} rows, ${threads} thread(s), ${pairs} pairs of ${ms} ms rounds: ${builds[1]} / ${builds[0]} ` +
    `median ${f(at(0.5))}x, geometric mean ${f(geomean)}x, quartiles ${f(at(0.25))}-${f(at(0.75))}x; ` +
    `${builds[1]} faster in ${faster} of ${pairs} pairs; best rounds ${(best[0] / 1e6).toFixed(3)}M and ` +
    `${(best[1] / 1e6).toFixed(3)}M rows/s`,
);
process.exit(0);
