// The gcc -O2 baseline: the model turned into C by bench/gcc-baseline/generate.mjs (an if/else per node),
// compiled with the harness at bench time (cached in bench/.cache by the sources' sha256), never shipped.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startExternal } from "./external.mjs";
import { root } from "./models.mjs";

const dir = join(root, "bench/gcc-baseline");

export function gccAvailable() {
  try {
    execFileSync("gcc", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/** Builds (or reuses) the baseline binary of a model; returns its path and the compile time. */
export async function buildGccBaseline(modelFile, { log = () => {} } = {}) {
  const { generateC } = await import(join(dir, "generate.mjs"));
  const text = readFileSync(modelFile, "utf8");
  const harness = readFileSync(join(dir, "harness.c"), "utf8");
  const generator = readFileSync(join(dir, "generate.mjs"), "utf8");
  const key = createHash("sha256").update(text).update(harness).update(generator).digest("hex").slice(0, 16);
  const cache = join(root, "bench/.cache");
  mkdirSync(cache, { recursive: true });
  const bin = join(cache, `gcc-O2-${key}`);
  if (existsSync(bin)) return { bin, compileSeconds: null };
  const src = join(cache, `gcc-O2-${key}.c`);
  writeFileSync(src, generateC(text));
  log(`compiling the gcc -O2 baseline of ${modelFile.split("/").pop()} (cached afterwards)...`);
  const t0 = performance.now();
  execFileSync("gcc", ["-O2", "-o", bin, src, join(dir, "harness.c"), "-lm"], { stdio: "inherit" });
  return { bin, compileSeconds: (performance.now() - t0) / 1000 };
}

export function startGccBaseline(bin, dataFile, nrow) {
  return startExternal(bin, [dataFile, String(nrow)]);
}
