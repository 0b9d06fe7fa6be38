#!/usr/bin/env node
// `npm run pack:release -- --out <dir>`: the main package's tarball and this platform's package tarball.
//
// The main package is what `files` in package.json selects (as `npm pack` sees it), with a release
// package.json: no scripts at all (nothing runs at install), and every platform package listed in
// optionalDependencies at the same version (added here, not in the checkout's package.json, because
// unpublished packages would break `npm ci`). The platform package is build/Release: the addon, the
// official lib_lightgbm from the pinned wheel, and the licences, with os/cpu/libc fields and the
// minimum glibc measured from the binaries. Both are staged in a temp folder and packed with scripts off.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { libraryName, platformKey, sha256 } from "./lightgbm-library.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string" }, "skip-build": { type: "boolean" } } });
if (!values.out) {
  console.error("usage: npm run pack:release -- --out <dir> [--skip-build]");
  process.exit(2);
}
const out = resolve(values.out);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const key = platformKey();
const libName = libraryName(key);
const addonDir = join(root, "build/Release");
const npmCli = process.env.npm_execpath;

function step(msg) {
  if (process.stdout.isTTY && process.env.CI !== "true") console.log(`pack:release: ${msg}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 256 << 20, ...options });
  if (r.status !== 0) {
    throw new Error(
      `${[cmd, ...args].join(" ")} failed (${r.status}):\n${`${r.stderr}${r.stdout}`.trim().split("\n").slice(-30).join("\n")}`,
    );
  }
  return r.stdout;
}

/** npm itself: the one running this script when there is one, else the npm on PATH. */
function npm(args, cwd = root) {
  return npmCli?.endsWith(".js")
    ? run(process.execPath, [npmCli, ...args], { cwd })
    : run("npm", args, { cwd, shell: process.platform === "win32" });
}

function build() {
  step("building the addon (incremental) and a clean dist/");
  run(process.execPath, [join(root, "scripts/build-native.mjs")], {
    env: { ...process.env, LIGHTGBM_NODE_SKIP_NATIVE: "" },
  });
  run(process.execPath, [join(root, "scripts/build-ts.mjs")]);
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function pack(stage) {
  const [info] = JSON.parse(
    npm(["pack", stage, "--pack-destination", out, "--ignore-scripts", "--json"], out),
  );
  return info;
}

function stageMain() {
  const stage = mkdtempSync(join(tmpdir(), "lgbm-release-main-"));
  const [listing] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"]));
  const files = listing.files.map((f) => f.path);
  const refused = files.filter((f) =>
    /\.map$|\.csv$|^src\/|^test\/|^bench\/|^scripts\/(?!build-native\.mjs|lightgbm-library\.mjs|lightgbm-pin\.json)/.test(
      f,
    ),
  );
  if (refused.length) throw new Error(`the main package would ship files it must not: ${refused.join(", ")}`);
  for (const f of files) if (f !== "package.json") copy(join(root, f), join(stage, f));
  const release = { ...pkg };
  delete release.scripts;
  delete release.allowScripts;
  release.optionalDependencies = Object.fromEntries(
    Object.keys(pin.platforms).map((k) => [`@lightgbm-node/${k}`, pkg.version]),
  );
  writeFileSync(join(stage, "package.json"), `${JSON.stringify(release, null, 2)}\n`);
  return stage;
}

/** The newest GLIBC_x.y symbol version a binary needs (objdump -T), or null when it needs none. */
function glibcNeeded(file) {
  const versions = [...run("objdump", ["-T", file]).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
  if (versions.length === 0) return null;
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return versions.at(-1).join(".");
}

function stagePlatform() {
  const entry = pin.platforms[key];
  if (!entry)
    throw new Error(`no prebuilt package is made for ${key}: LightGBM publishes no official wheel for it`);
  const manifest = JSON.parse(readFileSync(join(root, "vendor/lightgbm/manifest.json"), "utf8"));
  const lib = join(addonDir, libName);
  // A release ships the official library only: the pinned wheel's, byte for byte (never LIGHTGBM_LIB's).
  if (manifest.wanted !== "wheel" || sha256(lib) !== entry.librarySha256) {
    throw new Error(
      `build/Release/${libName} is not the pinned official library for ${key}: unset LIGHTGBM_LIB and rebuild`,
    );
  }
  const stage = mkdtempSync(join(tmpdir(), "lgbm-release-platform-"));
  const [platform, arch, libc] = key.split("-");
  const shipped = ["lightgbm_node.node", libName, "lightgbm-library.json"];
  for (const f of shipped) copy(join(addonDir, f), join(stage, f));
  copy(join(root, "LICENSE"), join(stage, "LICENSE"));
  copy(join(root, "vendor/lightgbm/LICENSE-lightgbm"), join(stage, "LICENSE-lightgbm"));
  const config = { lightgbm: pin.version };
  if (libc === "gnu") {
    const needs = [glibcNeeded(join(stage, "lightgbm_node.node")), glibcNeeded(join(stage, libName))].filter(
      Boolean,
    );
    config.glibc = needs.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).at(-1);
  }
  const manifestOut = {
    name: `@lightgbm-node/${key}`,
    version: pkg.version,
    description: `The lightgbm-node native addon and LightGBM ${pin.version}'s official lib_lightgbm for ${key}`,
    license: "MIT",
    homepage: pkg.homepage,
    repository: pkg.repository,
    os: [platform],
    cpu: [arch],
    ...(libc ? { libc: [libc === "gnu" ? "glibc" : libc] } : {}),
    files: [...shipped, "LICENSE-lightgbm"],
    config,
    preferUnplugged: true,
  };
  writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifestOut, null, 2)}\n`);
  const glibcLine = config.glibc
    ? ` It needs glibc >= ${config.glibc} (measured with objdump -T) and the OpenMP runtime (libgomp.so.1).`
    : "";
  writeFileSync(
    join(stage, "README.md"),
    `# @lightgbm-node/${key}\n\nThe prebuilt native part of [lightgbm-node](${pkg.homepage}) for ${key}: the N-API addon ` +
      `(\`lightgbm_node.node\`, found by \`lightgbm-node\`'s loader) and LightGBM ${pin.version}'s official \`${libName}\`, ` +
      `taken unmodified from the pinned wheel (sha256 ${entry.librarySha256}).${glibcLine}\n\n` +
      "Install `lightgbm-node`, not this package: it is an optional dependency that npm picks for your platform.\n\n" +
      "Licences: lightgbm-node, MIT (`LICENSE`); LightGBM, MIT (`LICENSE-lightgbm`).\n",
  );
  return { stage, config };
}

mkdirSync(out, { recursive: true });
if (!values["skip-build"]) build();
if (!existsSync(join(addonDir, "lightgbm_node.node")))
  throw new Error("build/Release/lightgbm_node.node is missing: run `npm run build:native`");
step("packing the main package");
const mainStage = stageMain();
const main = pack(mainStage);
step(`packing @lightgbm-node/${key}`);
const { stage: platformStage, config } = stagePlatform();
const platform = pack(platformStage);
rmSync(mainStage, { recursive: true, force: true });
rmSync(platformStage, { recursive: true, force: true });
const summary = {
  main: main.filename,
  platform: platform.filename,
  key,
  version: pkg.version,
  glibc: config.glibc ?? null,
  sizes: { main: main.size, platform: platform.size },
};
writeFileSync(join(out, "release.json"), `${JSON.stringify(summary, null, 2)}\n`);
console.log(`${join(out, main.filename)}\n${join(out, platform.filename)}`);
