// The install step's library handling: the pinned wheel is verified, a mismatch is refused, and every
// failure says what to do. Uses the real pip and the real wheel.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { InstallError, libraryFromPath, libraryFromWheel, sha256 } from "../scripts/lightgbm-library.mjs";
import { explainLoadFailure } from "../src/native/binding.js";

const root = join(import.meta.dirname, "..");
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const hasPip = spawnSync("python3", ["-m", "pip", "--version"]).status === 0;

describe("getting lib_lightgbm", () => {
  it.runIf(hasPip)("downloads the pinned wheel and extracts the library with the pinned checksum", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    const info = libraryFromWheel(pin, dir);
    expect(info.version).toBe("4.7.0");
    expect(sha256(join(dir, "lib_lightgbm.so"))).toBe(pin.librarySha256);
  });

  it.runIf(hasPip)("refuses a wheel whose sha256 is not the pinned one", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    const bad = { ...pin, wheelSha256: "0".repeat(64) };
    expect(() => libraryFromWheel(bad, dir)).toThrow(/Refusing to use it/);
  });

  it("fails clearly when pip cannot find the version", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    try {
      libraryFromWheel({ ...pin, version: "0.0.0-nonexistent" }, dir);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InstallError);
      expect((err as { fixes: string[] }).fixes.join("\n")).toMatch(/LIGHTGBM_LIB/);
    }
  });

  it("LIGHTGBM_LIB copies an existing library and refuses a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    const lib = join(root, "vendor/lightgbm/lib_lightgbm.so");
    expect(libraryFromPath(lib, dir).sha256).toBe(sha256(lib));
    expect(() => libraryFromPath("/nonexistent/lib_lightgbm.so", dir)).toThrow(/does not exist/);
  });

  it("the install script exits 1 with the fixes when LIGHTGBM_LIB is wrong", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts/install.mjs")], {
      env: { ...process.env, LIGHTGBM_LIB: "/nonexistent/lib_lightgbm.so" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Possible solutions:\n- Set LIGHTGBM_LIB/);
    // and the installed library was left alone
    expect(execFileSync("sha256sum", [join(root, "vendor/lightgbm/lib_lightgbm.so")]).toString()).toMatch(
      /^[0-9a-f]{64}/,
    );
  });

  it("a load failure at run time lists exact fixes", () => {
    const err = explainLoadFailure(new Error("libfoo.so: cannot open shared object file"));
    expect(err.name).toBe("NativeUnavailableError");
    expect(err.message).toMatch(/cannot open shared object file/);
    expect(err.message).toMatch(/engine: 'js'/);
  });
});
