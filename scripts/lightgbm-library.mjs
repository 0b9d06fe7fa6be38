// Getting the official prebuilt lib_lightgbm for one platform: from the pinned wheel (sha256-checked) or
// from LIGHTGBM_LIB. Failures throw InstallError with the exact fixes; scripts/build-native.mjs prints them.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export class InstallError extends Error {
  constructor(title, fixes) {
    super(title);
    this.name = "InstallError";
    this.fixes = fixes;
  }
}

/** Python's command: PYTHON if set, else `python` on Windows (python.org and CI runners) and `python3` elsewhere. */
export const PYTHON = process.env.PYTHON ?? (process.platform === "win32" ? "python" : "python3");

export function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** This machine's platform key, as the platform packages are named (src/native/platform.ts has the same rule). */
export function platformKey(platform = process.platform, arch = process.arch, libc = linuxLibc()) {
  return platform === "linux" ? `linux-${arch}-${libc === "musl" ? "musl" : "gnu"}` : `${platform}-${arch}`;
}

function linuxLibc() {
  if (process.platform !== "linux") return null;
  return process.report?.getReport().header.glibcVersionRuntime ? "glibc" : "musl";
}

/** The library's file name on a platform key. */
export function libraryName(key) {
  if (key.startsWith("darwin-")) return "lib_lightgbm.dylib";
  if (key.startsWith("win32-")) return "lib_lightgbm.dll";
  return "lib_lightgbm.so";
}

/** Copies an existing library (LIGHTGBM_LIB) into vendorDir under the platform's library name. */
export function libraryFromPath(path, vendorDir, name = libraryName(platformKey())) {
  if (!existsSync(path)) {
    throw new InstallError(`LIGHTGBM_LIB points at ${path}, which does not exist.`, [
      `Set LIGHTGBM_LIB to the full path of an existing ${name} (LightGBM 4.x).`,
      "Or unset LIGHTGBM_LIB to download the pinned official wheel with pip.",
    ]);
  }
  mkdirSync(vendorDir, { recursive: true });
  const target = join(vendorDir, name);
  copyFileSync(path, target);
  return { source: path, version: "unknown (LIGHTGBM_LIB)", sha256: sha256(target) };
}

/** The pin's entry for a platform, or an InstallError saying why there is none. */
export function pinnedWheel(pin, key) {
  const entry = pin.platforms[key];
  if (!entry) {
    throw new InstallError(
      `LightGBM publishes no official wheel for ${key}, so there is no library to pin.`,
      [
        `Build lib_lightgbm ${pin.version} yourself (https://lightgbm.readthedocs.io, "Installation Guide") and`,
        "  set LIGHTGBM_LIB=/path/to/lib_lightgbm.so before running this command again.",
        "Or use the pure TypeScript engine: Model.load(path, { engine: 'js' }).",
      ],
    );
  }
  if (!entry.wheelSha256 || !entry.librarySha256 || !entry.member) {
    throw new InstallError(`scripts/lightgbm-pin.json has no verified checksum for ${key} yet.`, [
      "Run `node scripts/pin-wheels.mjs --write` where PyPI is reachable and commit the pin it fills in.",
      "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm to use a library you trust (no checksum: your choice).",
    ]);
  }
  return entry;
}

/** `pip download` of one platform's wheel into dir; throws InstallError with pip's own error text. */
export function downloadWheel(version, pipPlatform, dir) {
  const args = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", dir];
  if (pipPlatform) args.push("--platform", pipPlatform);
  args.push(`lightgbm==${version}`);
  // PIP_RETRIES=0 and a short timeout: without them pip spends seconds retrying unreachable indexes.
  const r = spawnSync(PYTHON, args, {
    encoding: "utf8",
    env: { ...process.env, PIP_RETRIES: "0", PIP_TIMEOUT: "15", PIP_DISABLE_PIP_VERSION_CHECK: "1" },
  });
  if (r.status !== 0) {
    const said = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-12).join("\n");
    throw new InstallError(
      `could not download lightgbm==${version}${pipPlatform ? ` for ${pipPlatform}` : ""} with pip. pip said:\n${said || r.error?.message}`,
      [
        `Make sure \`python3 -m pip download --no-deps lightgbm==${version}\` works (pip installed, its index reachable).`,
        "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm to use a library you already have, e.g. the one inside",
        '  an installed Python package: python3 -c "import lightgbm, os; print(os.path.dirname(lightgbm.__file__))"',
      ],
    );
  }
  const wheel = readdirSync(dir).find((f) => f.endsWith(".whl"));
  if (!wheel)
    throw new InstallError("pip reported success but no wheel was downloaded.", [
      "Run the pip command by hand.",
    ]);
  return join(dir, wheel);
}

/** Lists a wheel's members (a zip; Python is already required for pip, so its zipfile module reads it). */
export function wheelMembers(wheel) {
  return JSON.parse(
    execFileSync(
      PYTHON,
      ["-c", "import sys, json, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))", wheel],
      {
        encoding: "utf8",
      },
    ),
  );
}

export function extractMember(wheel, member, target) {
  execFileSync(PYTHON, [
    "-c",
    "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
    wheel,
    member,
    target,
  ]);
}

/** The licence file inside a wheel's .dist-info folder, if any. */
export function licenceMember(members) {
  return members.find((m) => /\.dist-info\/(licenses\/)?LICENSE[^/]*$/i.test(m));
}

/**
 * Downloads the pinned wheel of platform `key` with pip, verifies it, and extracts the library (and
 * LightGBM's licence, as LICENSE-lightgbm) into vendorDir.
 */
export function libraryFromWheel(pin, key, vendorDir) {
  const entry = pinnedWheel(pin, key);
  const work = mkdtempSync(join(tmpdir(), "lightgbm-node-"));
  const target = join(vendorDir, entry.library);
  try {
    const wheel = downloadWheel(pin.version, entry.pipPlatform, work);
    const digest = sha256(wheel);
    if (digest !== entry.wheelSha256) {
      throw new InstallError(
        `the downloaded wheel ${basename(wheel)} has sha256 ${digest}, but the pin for ${key} is ${entry.wheelSha256}. Refusing to use it.`,
        [
          `Check which package index pip uses (\`pip config list\`): it served a different file than the pinned ${entry.wheel}.`,
          "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm to use a library you trust.",
        ],
      );
    }
    mkdirSync(vendorDir, { recursive: true });
    extractMember(wheel, entry.member, target);
    const libDigest = sha256(target);
    if (libDigest !== entry.librarySha256) {
      rmSync(target, { force: true });
      throw new InstallError(
        `${entry.member} inside the verified wheel has an unexpected sha256 ${libDigest}.`,
        ["Report this: the pinned checksums in scripts/lightgbm-pin.json do not agree with each other."],
      );
    }
    const licence = licenceMember(wheelMembers(wheel));
    if (licence) extractMember(wheel, licence, join(vendorDir, "LICENSE-lightgbm"));
    return { source: basename(wheel), version: pin.version, sha256: libDigest, wheelSha256: digest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
