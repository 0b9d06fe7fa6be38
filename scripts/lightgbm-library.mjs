// Getting the official prebuilt lib_lightgbm: from the pinned wheel (sha256-checked) or from LIGHTGBM_LIB.
// Failures throw InstallError with the exact fixes; scripts/install.mjs prints them and exits.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export class InstallError extends Error {
  constructor(title, fixes) {
    super(title);
    this.name = "InstallError";
    this.fixes = fixes;
  }
}

export function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Copies an existing library (LIGHTGBM_LIB) into vendorDir. */
export function libraryFromPath(path, vendorDir) {
  if (!existsSync(path)) {
    throw new InstallError(`LIGHTGBM_LIB points at ${path}, which does not exist.`, [
      "Set LIGHTGBM_LIB to the full path of an existing lib_lightgbm.so (LightGBM 4.x).",
      "Or unset LIGHTGBM_LIB to download the pinned official wheel with pip.",
    ]);
  }
  mkdirSync(vendorDir, { recursive: true });
  const target = join(vendorDir, "lib_lightgbm.so");
  copyFileSync(path, target);
  return { source: path, version: "unknown (LIGHTGBM_LIB)", sha256: sha256(target) };
}

/** Downloads the pinned wheel with pip, verifies it, and extracts lib_lightgbm.so into vendorDir. */
export function libraryFromWheel(pin, vendorDir, { quiet = true } = {}) {
  const work = mkdtempSync(join(tmpdir(), "lightgbm-node-"));
  const target = join(vendorDir, "lib_lightgbm.so");
  try {
    try {
      // PIP_RETRIES=0 and a short timeout: without them pip spends seconds retrying unreachable indexes.
      execFileSync(
        "python3",
        [
          "-m",
          "pip",
          "download",
          "--no-deps",
          "--only-binary=:all:",
          "--dest",
          work,
          `lightgbm==${pin.version}`,
        ],
        { stdio: quiet ? "pipe" : "inherit", env: { ...process.env, PIP_RETRIES: "0", PIP_TIMEOUT: "15" } },
      );
    } catch (err) {
      throw new InstallError(
        `could not download lightgbm==${pin.version} with pip (${err.message.split("\n")[0]}).`,
        [
          `Install Python 3 with pip and make sure \`python3 -m pip download --no-deps lightgbm==${pin.version}\` works.`,
          "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm.so to use a library you already have, e.g. the one inside",
          '  an installed Python package: python3 -c "import lightgbm, os; print(os.path.dirname(lightgbm.__file__))"',
          "Or set LIGHTGBM_NODE_SKIP_NATIVE=1 to skip the addon and use the pure TypeScript engine only.",
        ],
      );
    }
    const wheel = readdirSync(work).find((f) => f.endsWith(".whl"));
    if (!wheel)
      throw new InstallError("pip reported success but no wheel was downloaded.", [
        "Run the pip command by hand.",
      ]);
    const digest = sha256(join(work, wheel));
    if (digest !== pin.wheelSha256) {
      throw new InstallError(
        `the downloaded wheel ${wheel} has sha256 ${digest}, expected ${pin.wheelSha256}. Refusing to use it.`,
        [
          "Check which package index pip uses (`pip config list`): it served a different file than the official one.",
          "Or set LIGHTGBM_LIB=/path/to/lib_lightgbm.so to use a library you trust.",
        ],
      );
    }
    // The wheel is a zip; Python is already required for pip, so its zipfile module extracts the member.
    mkdirSync(vendorDir, { recursive: true });
    execFileSync("python3", [
      "-c",
      "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
      join(work, wheel),
      pin.member,
      target,
    ]);
    const libDigest = sha256(target);
    if (libDigest !== pin.librarySha256) {
      rmSync(target, { force: true });
      throw new InstallError(
        `lib_lightgbm.so inside the verified wheel has an unexpected sha256 ${libDigest}.`,
        ["Report this: the pinned checksums in scripts/lightgbm-pin.json do not match the official wheel."],
      );
    }
    return { source: wheel, version: pin.version, sha256: libDigest, wheelSha256: digest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
