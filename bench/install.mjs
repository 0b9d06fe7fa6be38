#!/usr/bin/env node
// The consumer install, timed and weighed: this package's release tarballs (main + this platform's
// package, and the main tarball alone) against sharp from the npm registry, each installed into a fresh
// project the same way: install scripts off, a PATH with only node/npm/npx, npm's cache warm
// (--prefer-offline; the first round fills it), alternating rounds. Prints best and median times,
// node_modules size (bytes of files, and disk blocks) and package count. Not asserted anywhere.
//
//   node bench/install.mjs [--rounds 5] [--from <dir with release.json>]
import { execFileSync, spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, from: { type: "string" } },
});
const rounds = Number(values.rounds);
const work = mkdtempSync(join(tmpdir(), "lgbm-bench-install-"));
const bin = join(work, "bin");
mkdirSync(bin);
for (const tool of ["node", "npm", "npx"]) {
  symlinkSync(
    realpathSync(spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim()),
    join(bin, tool),
  );
}

let out = values.from ? resolve(values.from) : join(work, "release");
if (!values.from)
  execFileSync(process.execPath, [join(root, "scripts/pack-release.mjs"), "--out", out], {
    stdio: "inherit",
  });
const release = JSON.parse(readFileSync(join(out, "release.json"), "utf8"));
out = realpathSync(out);

const subjects = [
  {
    name: `lightgbm-node + @lightgbm-node/${release.key}`,
    specs: [join(out, release.main), join(out, release.platform)],
  },
  { name: "lightgbm-node alone (wasm engine)", specs: [join(out, release.main)] },
  { name: "sharp (npm registry)", specs: ["sharp"] },
];

function weigh(dir) {
  let bytes = 0;
  let blocks = 0;
  let packages = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    const st = statSync(path);
    blocks += st.blocks;
    if (e.isFile()) {
      bytes += st.size;
      if (e.name === "package.json" && /node_modules\/(@[^/]+\/)?[^/@]+$/.test(e.parentPath)) packages++;
    }
  }
  return { mb: bytes / 2 ** 20, diskMb: (blocks * 512) / 2 ** 20, packages };
}

function installOnce(subject) {
  const dir = mkdtempSync(join(work, "app-"));
  writeFileSync(join(dir, "package.json"), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  const start = process.hrtime.bigint();
  const r = spawnSync(
    join(bin, "npm"),
    ["install", ...subject.specs, "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"],
    {
      cwd: dir,
      env: { HOME: process.env.HOME, PATH: bin, TMPDIR: tmpdir() },
      encoding: "utf8",
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${subject.name}: npm install failed:\n${r.stderr}`);
  const size = weigh(join(dir, "node_modules"));
  rmSync(dir, { recursive: true, force: true });
  return { seconds, ...size };
}

const results = new Map(subjects.map((s) => [s.name, []]));
for (let i = 0; i < rounds; i++) {
  for (const s of i % 2 === 0 ? subjects : [...subjects].reverse()) results.get(s.name).push(installOnce(s));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `\n${new Date().toISOString().slice(0, 10)}; Node ${process.version}; npm ${spawnSync(join(bin, "npm"), ["--version"], { encoding: "utf8", env: { PATH: bin } }).stdout.trim()}; ${rounds} alternating rounds, warm cache\n`,
);
console.log("| install | best | median | node_modules (files) | on disk | packages |");
console.log("|---|---|---|---|---|---|");
for (const [name, runs] of results) {
  const t = runs.map((r) => r.seconds);
  const last = runs.at(-1);
  console.log(
    `| ${name} | ${Math.min(...t).toFixed(2)} s | ${median(t).toFixed(2)} s | ${last.mb.toFixed(1)} MB | ${last.diskMb.toFixed(1)} MB | ${last.packages} |`,
  );
}
rmSync(work, { recursive: true, force: true });
