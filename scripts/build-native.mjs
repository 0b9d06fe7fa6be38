#!/usr/bin/env node
// Building the addon from source: the one command for platforms without a prebuilt package, and what
// `npm install` runs in a checkout (the `prepare` script). It checks every tool first and reports all the
// missing ones at once, gets the official lib_lightgbm from the pinned wheel (or LIGHTGBM_LIB), builds
// with cmake-js and leaves build/Release/{lightgbm_node.node, lib_lightgbm.*, lightgbm-library.json}:
// the "local build" the loader tries after the platform package.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  InstallError,
  libraryFromPath,
  libraryFromWheel,
  libraryName,
  PYTHON,
  platformKey,
  sha256,
} from "./lightgbm-library.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const key = process.env.LIGHTGBM_NODE_PLATFORM ?? platformKey();
const libName = libraryName(key);
const vendorDir = join(root, "vendor/lightgbm");
const outDir = join(root, "build/Release");
const quiet = process.env.CI === "true" || !process.stdout.isTTY;
const win = process.platform === "win32";

function log(msg) {
  if (!quiet || process.env.LIGHTGBM_NODE_VERBOSE) console.log(`lightgbm-node: ${msg}`);
}

function fail(title, fixes) {
  console.error(`\nlightgbm-node: ${title}\n\nPossible solutions:`);
  for (const fix of fixes) console.error(`- ${fix}`);
  console.error("");
  process.exit(1);
}

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", shell: win });
  return r.status === 0 ? `${r.stdout}${r.stderr}` : null;
}

/** The library is already in vendor/ for what is wanted now (the pinned wheel or LIGHTGBM_LIB). */
function libraryCached(wanted) {
  const manifest = join(vendorDir, "manifest.json");
  if (!existsSync(join(vendorDir, libName)) || !existsSync(manifest)) return false;
  const m = JSON.parse(readFileSync(manifest, "utf8"));
  return m.wanted === wanted && m.platform === key && sha256(join(vendorDir, libName)) === m.sha256;
}

function resolveFrom(dir, name) {
  try {
    return dirname(createRequire(join(dir, "package.json")).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/** cmake-js and node-addon-api: from this package's node_modules, else installed into build/tools by npm. */
function buildTools(missing) {
  const tools = join(root, "build/tools");
  let cmakeJs = resolveFrom(root, "cmake-js") ?? resolveFrom(tools, "cmake-js");
  let addonApi = resolveFrom(root, "node-addon-api") ?? resolveFrom(tools, "node-addon-api");
  if (cmakeJs && addonApi) return { cmakeJs, addonApi };
  const specs = ["cmake-js", "node-addon-api"].map((n) => `${n}@${pkg.devDependencies?.[n] ?? "latest"}`);
  log(`installing the build tools ${specs.join(" ")} into build/tools`);
  mkdirSync(tools, { recursive: true });
  writeFileSync(join(tools, "package.json"), '{ "private": true }\n');
  const npmCli = process.env.npm_execpath;
  const r = npmCli
    ? spawnSync(process.execPath, [npmCli, "install", "--no-save", "--no-audit", "--no-fund", ...specs], {
        cwd: tools,
        encoding: "utf8",
      })
    : spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", ...specs], {
        cwd: tools,
        encoding: "utf8",
        shell: win,
      });
  cmakeJs = resolveFrom(tools, "cmake-js");
  addonApi = resolveFrom(tools, "node-addon-api");
  if (!cmakeJs || !addonApi) {
    missing.push(
      `cmake-js and node-addon-api (npm could not install them: ${`${r.stderr ?? r.error?.message ?? ""}`.trim().split("\n").slice(-3).join(" ")})`,
    );
  }
  return { cmakeJs, addonApi };
}

/** Every tool the build needs, checked before anything runs; all the missing ones reported together. */
function preflight(needPip) {
  const missing = [];
  const fixes = [];
  if (needPip) {
    if (!runs(PYTHON, ["--version"]))
      missing.push(`${PYTHON} (Python 3, only to download and unpack the official wheel)`);
    else if (!runs(PYTHON, ["-m", "pip", "--version"]))
      missing.push(`pip for ${PYTHON} (\`${PYTHON} -m pip\` fails)`);
  }
  const cmake = runs("cmake", ["--version"]);
  const cmakeVersion = cmake?.match(/cmake version (\d+)\.(\d+)/);
  if (!cmakeVersion) missing.push("cmake (>= 3.15)");
  else if (Number(cmakeVersion[1]) * 100 + Number(cmakeVersion[2]) < 315)
    missing.push(`cmake >= 3.15 (found ${cmakeVersion[0]})`);
  if (!win) {
    if (!runs("make", ["--version"]) && !runs("ninja", ["--version"])) missing.push("make or ninja");
    const cxx = process.env.CXX ? [process.env.CXX] : ["c++", "g++", "clang++"];
    if (!cxx.some((c) => runs(c, ["--version"]))) missing.push(`a C++17 compiler (${cxx.join(", ")})`);
  }
  const tools = missing.length === 0 ? buildTools(missing) : null;
  if (missing.length > 0) {
    if (process.platform === "linux")
      fixes.push("Debian/Ubuntu: apt-get install python3 python3-pip cmake make g++");
    if (process.platform === "darwin")
      fixes.push("macOS: xcode-select --install && brew install cmake python libomp");
    if (win) fixes.push("Windows: Visual Studio Build Tools (C++), CMake and Python 3 from python.org");
    if (pin.platforms[key])
      fixes.push(`Or skip the build: npm install @lightgbm-node/${key}@${pkg.version} (the prebuilt addon).`);
    fixes.push("Or use the pure TypeScript engine: Model.load(path, { engine: 'js' }).");
    fail(`cannot build the native addon: missing ${missing.join("; ")}.`, fixes);
  }
  return tools;
}

function ensureLibrary() {
  const wanted = process.env.LIGHTGBM_LIB ? resolve(process.env.LIGHTGBM_LIB) : "wheel";
  if (libraryCached(wanted)) {
    log(`using vendor/lightgbm/${libName}`);
    return JSON.parse(readFileSync(join(vendorDir, "manifest.json"), "utf8"));
  }
  let info;
  try {
    info = process.env.LIGHTGBM_LIB
      ? libraryFromPath(wanted, vendorDir, libName)
      : libraryFromWheel(pin, key, vendorDir);
  } catch (err) {
    if (err instanceof InstallError) fail(err.message, err.fixes);
    throw err;
  }
  const manifest = { ...info, wanted, platform: key, library: libName };
  writeFileSync(join(vendorDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  log(`${libName} from ${info.source}`);
  return manifest;
}

function compile({ cmakeJs, addonApi }) {
  const args = [
    join(cmakeJs, "bin/cmake-js"),
    "compile",
    "--log-level",
    "error",
    `--CDLIGHTGBM_DIR=${vendorDir}`,
    `--CDNODE_ADDON_API_DIR=${addonApi}`,
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    fail(`building the native addon failed.\n${output}`, [
      `Run \`node ${join(root, "scripts/build-native.mjs")}\` on a terminal to see the full output.`,
      "Or use the pure TypeScript engine: Model.load(path, { engine: 'js' }).",
    ]);
  }
}

if (process.env.LIGHTGBM_NODE_SKIP_NATIVE === "1") {
  log("LIGHTGBM_NODE_SKIP_NATIVE=1: not building the addon; only the js engine will work");
  process.exit(0);
}
const tools = preflight(!process.env.LIGHTGBM_LIB && !libraryCached("wheel"));
const library = ensureLibrary();
compile(tools);
writeFileSync(
  join(outDir, "lightgbm-library.json"),
  `${JSON.stringify({ version: library.version, sha256: library.sha256, source: library.source, platform: key }, null, 2)}\n`,
);
// A build that does not load is not done: check it here, where the fix is still at hand.
try {
  execFileSync(process.execPath, ["-e", `require(${JSON.stringify(join(outDir, "lightgbm_node.node"))})`], {
    stdio: "pipe",
  });
} catch (err) {
  fail(`the addon was built but does not load:\n${String(err.stderr).trim()}`, [
    "Check that the C++ compiler and the Node.js headers match this Node.js (`node -p process.versions`).",
  ]);
}
log(`built ${join(outDir, "lightgbm_node.node")} (LightGBM ${library.version}, ${key})`);
