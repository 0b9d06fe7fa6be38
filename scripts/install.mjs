#!/usr/bin/env node
// `npm install` hook: get the official prebuilt lib_lightgbm, build the addon, compile TypeScript.
// Each step says exactly what to do when it fails (sharp's install is the model).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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

function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function fromEnvironment(path) {
  if (!existsSync(path)) {
    fail(`LIGHTGBM_LIB points at ${path}, which does not exist.`, [
      "Set LIGHTGBM_LIB to the full path of an existing lib_lightgbm.so (LightGBM 4.x).",
      "Or unset LIGHTGBM_LIB to download the pinned official wheel with pip.",
    ]);
  }
  mkdirSync(vendorDir, { recursive: true });
  copyFileSync(path, vendorLib);
  return { source: path, version: "unknown (LIGHTGBM_LIB)", sha256: sha256(vendorLib) };
}

function fromWheel() {
  const work = mkdtempSync(join(tmpdir(), "lightgbm-node-"));
  try {
    try {
      // PIP_RETRIES=0 and a short timeout: without them pip spends seconds retrying unreachable indexes.
      execFileSync(
        "python3",
        ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", work, `lightgbm==${pin.version}`],
        { stdio: quiet ? "pipe" : "inherit", env: { ...process.env, PIP_RETRIES: "0", PIP_TIMEOUT: "15" } },
      );
    } catch (err) {
      fail(`could not download lightgbm==${pin.version} with pip (${err.message.split("\n")[0]}).`, [
        "Install Python 3 with pip and make sure `python3 -m pip download --no-deps lightgbm==4.7.0` works.",
        "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm.so to use a library you already have, e.g. the one inside",
        "  an installed Python package: python3 -c \"import lightgbm, os; print(os.path.dirname(lightgbm.__file__))\"",
        "Or set LIGHTGBM_NODE_SKIP_NATIVE=1 to skip the addon and use the pure TypeScript engine only.",
      ]);
    }
    const wheel = readdirSync(work).find((f) => f.endsWith(".whl"));
    if (!wheel) fail("pip reported success but no wheel was downloaded.", ["Run the pip command by hand and check its output."]);
    const digest = sha256(join(work, wheel));
    if (digest !== pin.wheelSha256) {
      fail(`the downloaded wheel ${wheel} has sha256 ${digest}, expected ${pin.wheelSha256}. Refusing to use it.`, [
        "Check which package index pip uses (`pip config list`): it served a different file than the official one.",
        "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm.so to use a library you trust.",
      ]);
    }
    // The wheel is a zip; Python is already required for pip, so its zipfile module extracts the member.
    mkdirSync(vendorDir, { recursive: true });
    execFileSync("python3", [
      "-c",
      "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
      join(work, wheel),
      pin.member,
      vendorLib,
    ]);
    const libDigest = sha256(vendorLib);
    if (libDigest !== pin.librarySha256) {
      rmSync(vendorLib, { force: true });
      fail(`lib_lightgbm.so inside the verified wheel has an unexpected sha256 ${libDigest}.`, [
        "Report this: the pinned checksums in scripts/lightgbm-pin.json do not match the official wheel.",
      ]);
    }
    return { source: wheel, version: pin.version, sha256: libDigest, wheelSha256: digest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
  const info = process.env.LIGHTGBM_LIB ? fromEnvironment(wanted) : fromWheel();
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
    fail(`compiling TypeScript failed:\n${err.stdout}${err.stderr}`, ["Run `npx tsc -p tsconfig.build.json`."]);
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
