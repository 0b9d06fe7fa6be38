/**
 * Finds and loads the native addon, once per thread. In order: an explicit path (the `nativeBinding`
 * option or `setNativeBinding`, else the LIGHTGBM_NODE_BINDING environment variable: only that file is
 * tried), the prebuilt platform package (`@lightgbm-node/<platform>`, an optional dependency), then a local
 * build (build/Release, from scripts/build-native.mjs). Every failure is kept, and the final error lists
 * what was tried and the fixes for the cause (sharp's loader is the model).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { NativeUnavailableError } from "../errors.js";
import { getLogger } from "../logger.js";
import type { NativeBinding } from "./binding.js";
import { withOpenMPDefaults } from "./openmp.js";
import {
  ADDON_FILE,
  LIBRARY_INFO_FILE,
  libraryFileName,
  PREBUILT_PLATFORMS,
  platformKey,
  platformPackageName,
  runtimeGlibc,
  versionLess,
} from "./platform.js";

export const BINDING_ENV = "LIGHTGBM_NODE_BINDING";

export type AddonSource = "option" | "env" | "package" | "local";

/** One place the loader looked, and what happened there. */
export interface AddonAttempt {
  source: AddonSource;
  path: string;
  /** The package's version when it differs from lightgbm-node's. */
  version?: string;
  /** The package's minimum glibc (its package.json `config.glibc`). */
  glibc?: string;
  outcome: "missing" | "failed" | "version";
  error?: Error;
}

export interface LoadedAddon {
  source: AddonSource;
  path: string;
  /** LightGBM's version, from the lightgbm-library.json next to the addon (undefined when absent). */
  lightgbm?: string;
}

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
const ownVersion = (require(join(packageRoot, "package.json")) as { version: string }).version;
const localBuild = join(packageRoot, "build/Release", ADDON_FILE);

let loaded: { binding: NativeBinding; addon: LoadedAddon } | undefined;
let explicitPath: string | undefined;
let failure: NativeUnavailableError | undefined;

/**
 * Names the addon file to load (`.../lightgbm_node.node`, with lib_lightgbm in the same folder): for a
 * bundled Electron main process, or any layout where the platform package cannot be resolved. Must come
 * before the first native model; naming another file once the addon is loaded is an error.
 */
export function setNativeBinding(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`nativeBinding must be the path of lightgbm_node.node, got ${JSON.stringify(path)}`);
  }
  const wanted = resolve(path);
  if (loaded) {
    if (loaded.addon.path !== asarUnpacked(wanted) && loaded.addon.path !== wanted) {
      throw new Error(
        `the native addon is already loaded from ${loaded.addon.path}; it cannot be switched to ${wanted} in this thread`,
      );
    }
    return;
  }
  explicitPath = wanted;
  failure = undefined;
}

/** Where the loaded addon came from, or undefined before it is loaded. */
export function loadedAddon(): LoadedAddon | undefined {
  return loaded?.addon;
}

/** The loaded addon, or undefined (without trying to load it). */
export function loadedBinding(): NativeBinding | undefined {
  return loaded?.binding;
}

/** The addon, loaded on first use. Throws NativeUnavailableError with what was tried and the fixes. */
export function loadBinding(): NativeBinding {
  if (loaded) return loaded.binding;
  if (failure) throw failure;
  const attempts: AddonAttempt[] = [];
  for (const candidate of candidates(attempts)) {
    const path = asarUnpacked(candidate.path);
    if (!existsSync(path)) {
      attempts.push({ ...candidate, path, outcome: "missing" });
      continue;
    }
    try {
      const binding = withOpenMPDefaults(() => require(path) as NativeBinding);
      loaded = {
        binding,
        addon: { source: candidate.source, path, lightgbm: libraryVersion(dirname(path)) },
      };
      return binding;
    } catch (err) {
      attempts.push({ ...candidate, path, outcome: "failed", error: err as Error });
    }
  }
  failure = explainLoadFailure(attempts);
  throw failure;
}

export function nativeAvailable(): boolean {
  try {
    loadBinding();
    return true;
  } catch {
    return false;
  }
}

type Candidate = Pick<AddonAttempt, "source" | "path" | "glibc">;

function candidates(attempts: AddonAttempt[]): Candidate[] {
  if (explicitPath) return [{ source: "option", path: explicitPath }];
  const fromEnv = process.env[BINDING_ENV];
  if (fromEnv) return [{ source: "env", path: resolve(fromEnv) }];
  const list: Candidate[] = [];
  const name = platformPackageName();
  let manifest: string | undefined;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    attempts.push({ source: "package", path: name, outcome: "missing" });
  }
  if (manifest) {
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as {
      version: string;
      config?: { glibc?: string };
    };
    const path = join(dirname(manifest), ADDON_FILE);
    if (pkg.version !== ownVersion) {
      attempts.push({ source: "package", path, version: pkg.version, outcome: "version" });
    } else {
      list.push({ source: "package", path, glibc: pkg.config?.glibc });
    }
  }
  list.push({ source: "local", path: localBuild });
  return list;
}

/** In a packaged Electron app, native files listed under asarUnpack live in app.asar.unpacked. */
function asarUnpacked(path: string): string {
  if (!process.versions.electron) return path;
  const marker = `.asar${sep}`;
  if (!path.includes(marker)) return path;
  const unpacked = path.replace(marker, `.asar.unpacked${sep}`);
  return existsSync(unpacked) ? unpacked : path;
}

function libraryVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, LIBRARY_INFO_FILE), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const SOURCE_LABEL: Record<AddonSource, string> = {
  option: "the nativeBinding option",
  env: BINDING_ENV,
  package: "platform package",
  local: "local build",
};

/** The error for a failed load: what was tried, then fixes for the cause (sharp's loader is the model). */
export function explainLoadFailure(attempts: AddonAttempt[]): NativeUnavailableError {
  const key = platformKey();
  const name = platformPackageName(key);
  const tried = attempts.map((a) => {
    const what = `${SOURCE_LABEL[a.source]} ${a.path}`;
    if (a.outcome === "missing") return `${what}: ${a.source === "package" ? "not installed" : "not found"}`;
    if (a.outcome === "version") return `${what}: version ${a.version}, but lightgbm-node is ${ownVersion}`;
    return `${what}: ${a.error?.message.split("\n")[0]}`;
  });
  const fixes: string[] = [];
  const explicit = attempts.find((a) => a.source === "option" || a.source === "env");
  const errors = attempts.map((a) => a.error?.message ?? "").join("\n");
  const glibc = runtimeGlibc();
  const needs = attempts.find((a) => a.glibc && a.outcome === "failed")?.glibc;
  if (explicit) {
    fixes.push(
      `check the path given by ${SOURCE_LABEL[explicit.source]}: it must name ${ADDON_FILE}, with ${libraryFileName()} in the same folder (both outside any asar archive)`,
    );
  }
  if (/--no-addons|ERR_DLOPEN_DISABLED/.test(errors)) {
    fixes.push("Node.js runs with --no-addons (or NODE_OPTIONS has it): remove it to use the native engine");
  }
  if (needs && glibc && versionLess(glibc, needs)) {
    fixes.push(
      `${name} needs glibc >= ${needs}, this system has ${glibc}: use a newer Linux, or build from source (below)`,
    );
  }
  if (/libgomp/.test(errors)) {
    fixes.push(
      "install the OpenMP runtime lib_lightgbm needs: apt-get install libgomp1 (Debian/Ubuntu), dnf install libgomp (Fedora/RHEL)",
    );
  }
  if (/libomp/.test(errors)) fixes.push("install the OpenMP runtime lib_lightgbm needs: brew install libomp");
  if (attempts.some((a) => a.outcome === "version")) {
    fixes.push(
      `reinstall so that the versions match: npm install lightgbm-node@${ownVersion} ${name}@${ownVersion}`,
    );
  }
  if (!explicit && attempts.some((a) => a.source === "package" && a.outcome === "missing")) {
    if ((PREBUILT_PLATFORMS as readonly string[]).includes(key)) {
      fixes.push(
        `install the prebuilt addon for ${key}: npm install ${name}@${ownVersion} (an optional dependency of lightgbm-node: ` +
          "npm skips it with --omit=optional or --no-optional, and when the lock file was made on another platform)",
      );
    } else {
      fixes.push(`there is no prebuilt addon for ${key} (prebuilt: ${PREBUILT_PLATFORMS.join(", ")})`);
    }
  }
  fixes.push(
    `build it from source: node ${join(packageRoot, "scripts/build-native.mjs")} (needs python3 with pip, cmake, make and a C++17 compiler; see the README, "Installing")`,
  );
  fixes.push(
    "or use the engine without native code, the model compiled to WebAssembly: Model.load(path, { engine: 'wasm' })",
  );
  const last = [...attempts].reverse().find((a) => a.error)?.error;
  return new NativeUnavailableError(
    `could not load the lightgbm-node native addon for ${key}:\n- ${tried.join("\n- ")}\nPossible solutions:\n- ${fixes.join("\n- ")}`,
    { cause: last },
  );
}

let warned = false;

/**
 * engine "auto" fell back to the wasm (or js) engine: the SDK logger gets a line each time, and the user a process
 * warning on stderr once (the default logger is silent, and a silent 2x slowdown helps nobody).
 */
export function warnNativeFallback(err: NativeUnavailableError, engine: "wasm" | "js" = "js"): void {
  getLogger().warn(`${err.message.split("\n")[0].replace(/:$/, "")}; falling back to the ${engine} engine`);
  if (warned) return;
  warned = true;
  process.emitWarning(
    engine === "wasm"
      ? `${err.message}\nUsing the wasm engine instead (the model compiled to WebAssembly): the same raw scores, transformed outputs equal to the last bit.`
      : `${err.message}\nUsing the js engine instead: the same predictions, computed more slowly.`,
    {
      code: "LIGHTGBM_NODE_NO_NATIVE",
    },
  );
}
