#!/usr/bin/env node
// `npm install` hook: get the official prebuilt lib_lightgbm, build the addon, compile TypeScript.
// Each step says exactly what to do when it fails (sharp's install is the model).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InstallError, libraryFromPath, libraryFromWheel, sha256 } from "./lightgbm-library.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const vendorDir = join(root, "vendor/lightgbm");
const vendorLib = join(vendorDir, "lib_lightgbm.so");
const manifestPath = join(vendorDir, "manifest.json");
const quiet = process.env.CI === "true" || !process.stdout.isTTY;

function log(msg) {
  if (!quiet || process.env.LIGHTGBM_NODE_VERBOSE) console.log(`lightgbm-node: ${msg}`);
}

function fail(title, fixes) {
  console.error(`\nlightgbm-node: ${title}\n\nPossible solutions:`);
  for (const fix of fixes) console.error(`- ${fix}`);
  console.error("");
  process.exit(1);
}

function ensureLibrary() {
  const wanted = process.env.LIGHTGBM_LIB ? resolve(process.env.LIGHTGBM_LIB) : "wheel";
  if (existsSync(vendorLib) && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    if (manifest.wanted === wanted && sha256(vendorLib) === manifest.sha256) {
      log(`using ${vendorLib} (${manifest.source})`);
      return;
    }
  }
  let info;
  try {
    info = process.env.LIGHTGBM_LIB
      ? libraryFromPath(wanted, vendorDir)
      : libraryFromWheel(pin, vendorDir, { quiet });
  } catch (err) {
    if (err instanceof InstallError) fail(err.message, err.fixes);
    throw err;
  }
  writeFileSync(manifestPath, `${JSON.stringify({ ...info, wanted }, null, 2)}\n`);
  log(`lib_lightgbm from ${info.source} -> ${vendorLib}`);
}

function buildAddon() {
  const cmakeJs = join(dirname(fileURLToPath(import.meta.resolve("cmake-js/package.json"))), "bin/cmake-js");
  try {
    execFileSync(process.execPath, [cmakeJs, "compile", "--log-level", "error"], {
      cwd: root,
      stdio: quiet ? "pipe" : "inherit",
    });
  } catch (err) {
    const output = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    fail(`building the native addon failed.\n${output}`, [
      "Install a C++17 compiler and CMake >= 3.15 (Debian: apt-get install g++ cmake).",
      "Run `npx cmake-js compile` in this package's folder to see the full output.",
      "Or set LIGHTGBM_NODE_SKIP_NATIVE=1 to skip the addon and use the pure TypeScript engine only.",
    ]);
  }
}

function buildTypeScript() {
  // A published tarball ships dist/ and no src/; a git checkout compiles it here (TypeScript is a dev dependency).
  if (!existsSync(join(root, "src"))) return;
  let tsc;
  try {
    tsc = join(dirname(fileURLToPath(import.meta.resolve("typescript/package.json"))), "bin/tsc");
  } catch {
    if (!existsSync(join(root, "dist/index.js"))) {
      fail("dist/ is missing and TypeScript is not installed.", ["Run `npm install` with dev dependencies."]);
    }
    return;
  }
  try {
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "pipe" });
  } catch (err) {
    fail(`compiling TypeScript failed:\n${err.stdout}${err.stderr}`, [
      "Run `npx tsc -p tsconfig.build.json`.",
    ]);
  }
}

if (process.env.LIGHTGBM_NODE_SKIP_NATIVE === "1") {
  log("LIGHTGBM_NODE_SKIP_NATIVE=1: skipping lib_lightgbm and the addon; only the js engine will work");
} else {
  ensureLibrary();
  buildAddon();
}
if (process.env.LIGHTGBM_NODE_SKIP_TS !== "1") buildTypeScript();
log("ready");
