/**
 * Which prebuilt package fits this machine: the platform key (`linux-x64-gnu`, `darwin-arm64`, ...), the
 * package's name, and the file names inside it. scripts/lightgbm-library.mjs applies the same key rule
 * (a test checks both agree, and that this list matches scripts/lightgbm-pin.json).
 */
import { familySync, MUSL, versionSync } from "detect-libc";

/** The platforms the release workflow builds packages for (only linux-x64-gnu is built and tested here). */
export const PREBUILT_PLATFORMS = [
  "linux-x64-gnu",
  "linux-arm64-gnu",
  "darwin-x64",
  "darwin-arm64",
  "win32-x64",
] as const;

export const ADDON_FILE = "lightgbm_node.node";
/** Written next to the addon by scripts/build-native.mjs: the LightGBM version, checksum and source. */
export const LIBRARY_INFO_FILE = "lightgbm-library.json";

export function platformKey(platform: string = process.platform, arch: string = process.arch): string {
  if (platform !== "linux") return `${platform}-${arch}`;
  return `linux-${arch}-${familySync() === MUSL ? "musl" : "gnu"}`;
}

export function platformPackageName(key: string = platformKey()): string {
  return `@lightgbm-node/${key}`;
}

export function libraryFileName(platform: string = process.platform): string {
  if (platform === "darwin") return "lib_lightgbm.dylib";
  if (platform === "win32") return "lib_lightgbm.dll";
  return "lib_lightgbm.so";
}

/** The running glibc's version ("2.36"), or null on other C libraries and platforms. */
export function runtimeGlibc(): string | null {
  return process.platform === "linux" ? versionSync() : null;
}

/** a < b for dotted versions ("2.28" < "2.34"). */
export function versionLess(a: string, b: string): boolean {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  }
  return false;
}
