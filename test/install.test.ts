// Building from source and finding the addon: the pinned wheel is verified and a mismatch refused, pip's
// own error is shown, every missing tool is reported at once, and the loader's errors list what was
// tried with the fixes for the cause. Uses the real pip, the real wheel and the real addon.
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  InstallError,
  libraryFromPath,
  libraryFromWheel,
  pinnedWheel,
  platformKey as scriptPlatformKey,
  sha256,
  // @ts-expect-error: plain ESM script without types
} from "../scripts/lightgbm-library.mjs";
import { explainLoadFailure } from "../src/native/loader.js";
import { PREBUILT_PLATFORMS, platformKey } from "../src/native/platform.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
const hasPip = spawnSync("python3", ["-m", "pip", "--version"]).status === 0;
const key = platformKey();
const builtLib = join(root, "build/Release/lib_lightgbm.so");
const addon = join(root, "build/Release/lightgbm_node.node");

describe("getting lib_lightgbm", () => {
  it("one pin entry per prebuilt platform, and the scripts name this platform as the loader does", () => {
    expect(Object.keys(pin.platforms).sort()).toEqual([...PREBUILT_PLATFORMS].sort());
    expect(scriptPlatformKey()).toBe(key);
    expect(scriptPlatformKey("darwin", "arm64")).toBe(platformKey("darwin", "arm64"));
    expect(scriptPlatformKey("win32", "x64")).toBe(platformKey("win32", "x64"));
  });

  it.runIf(hasPip)("downloads the pinned wheel and extracts the library and LightGBM's licence", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    const info = libraryFromWheel(pin, "linux-x64-gnu", dir);
    expect(info.version).toBe("4.7.0");
    expect(sha256(join(dir, "lib_lightgbm.so"))).toBe(pin.platforms["linux-x64-gnu"].librarySha256);
    expect(readFileSync(join(dir, "LICENSE-lightgbm"), "utf8")).toMatch(
      /MIT License[\s\S]*Microsoft Corporation/,
    );
  });

  it.runIf(hasPip)("refuses a wheel whose sha256 is not the pinned one", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    const bad = structuredClone(pin);
    bad.platforms["linux-x64-gnu"].wheelSha256 = "0".repeat(64);
    expect(() => libraryFromWheel(bad, "linux-x64-gnu", dir)).toThrow(/Refusing to use it/);
  });

  it("shows pip's own error when the download fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    try {
      libraryFromWheel({ ...pin, version: "0.0.0-nonexistent" }, "linux-x64-gnu", dir);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InstallError);
      const e = err as InstanceType<typeof InstallError>;
      // pip's words, not a bare "Command failed" (or python3's, where pip is missing).
      expect(e.message).toMatch(
        hasPip ? /pip said:\n[\s\S]*(No matching distribution|Invalid requirement|ERROR)/ : /pip said/,
      );
      expect(e.fixes.join("\n")).toMatch(/LIGHTGBM_LIB/);
    }
  });

  it("a platform without a verified checksum, or without an official wheel, is refused with the way forward", () => {
    expect(() => pinnedWheel(pin, "darwin-arm64")).toThrow(/no verified checksum for darwin-arm64/);
    try {
      pinnedWheel(pin, "darwin-arm64");
    } catch (err) {
      expect((err as { fixes: string[] }).fixes.join("\n")).toMatch(/pin-wheels\.mjs --write/);
    }
    expect(() => pinnedWheel(pin, "linux-x64-musl")).toThrow(/no official wheel for linux-x64-musl/);
  });

  it("LIGHTGBM_LIB copies an existing library and refuses a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-vendor-"));
    expect(libraryFromPath(builtLib, dir, "lib_lightgbm.so").sha256).toBe(sha256(builtLib));
    expect(() => libraryFromPath("/nonexistent/lib_lightgbm.so", dir)).toThrow(/does not exist/);
  });
});

describe("building from source (scripts/build-native.mjs)", () => {
  /** A copy of the package's build files in a fresh folder (no vendor/ cache), run with only `tools` on PATH. */
  function buildWith(tools: string[]) {
    const pkgDir = mkdtempSync(join(tmpdir(), "lgbm-build-"));
    mkdirSync(join(pkgDir, "scripts"));
    for (const f of ["build-native.mjs", "lightgbm-library.mjs", "lightgbm-pin.json"]) {
      copyFileSync(join(root, "scripts", f), join(pkgDir, "scripts", f));
    }
    copyFileSync(join(root, "package.json"), join(pkgDir, "package.json"));
    const bin = join(pkgDir, "bin");
    mkdirSync(bin);
    for (const t of tools) {
      const path = spawnSync("/bin/sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
      if (path) symlinkSync(path, join(bin, t));
    }
    return spawnSync(process.execPath, [join(pkgDir, "scripts/build-native.mjs")], {
      env: { HOME: process.env.HOME, PATH: bin, CI: "true" },
      encoding: "utf8",
    });
  }

  it("with no toolchain, reports every missing tool at once and changes nothing", () => {
    const r = buildWith(["node"]);
    expect(r.status).toBe(1);
    const first = r.stderr.split("\n").find((l) => l.includes("cannot build the native addon")) ?? "";
    for (const tool of ["python3", "cmake", "make or ninja", "a C++17 compiler"])
      expect(first).toContain(tool);
    expect(r.stderr).toMatch(
      /Possible solutions:\n- Debian\/Ubuntu: apt-get install python3 python3-pip cmake make g\+\+/,
    );
    expect(r.stderr).toContain(`npm install @lightgbm-node/${key}@${version}`);
  });
});

describe("the loader", () => {
  it("a failure lists every place tried and the fixes for the cause", () => {
    const err = explainLoadFailure([
      { source: "package", path: `@lightgbm-node/${key}`, outcome: "missing" },
      { source: "local", path: "/x/build/Release/lightgbm_node.node", outcome: "missing" },
    ]);
    expect(err.name).toBe("NativeUnavailableError");
    expect(err.message).toMatch(/^could not load the lightgbm-node native addon for /);
    expect(err.message).toContain(`platform package @lightgbm-node/${key}: not installed`);
    expect(err.message).toContain("local build /x/build/Release/lightgbm_node.node: not found");
    expect(err.message).toContain(`npm install @lightgbm-node/${key}@${version}`);
    expect(err.message).toMatch(/scripts\/build-native\.mjs/);
    expect(err.message).toMatch(/engine: 'wasm'/);
  });

  it("tailors the fixes: glibc too old, OpenMP runtime missing, versions differ, an explicit path wrong", () => {
    const glibc = explainLoadFailure([
      {
        source: "package",
        path: "/p/lightgbm_node.node",
        glibc: "9.99",
        outcome: "failed",
        error: new Error("GLIBC_9.99 not found"),
      },
    ]);
    if (process.platform === "linux")
      expect(glibc.message).toMatch(/needs glibc >= 9\.99, this system has 2\.\d+/);
    const gomp = explainLoadFailure([
      {
        source: "package",
        path: "/p/lightgbm_node.node",
        outcome: "failed",
        error: new Error("libgomp.so.1: cannot open shared object file"),
      },
    ]);
    expect(gomp.message).toMatch(/apt-get install libgomp1/);
    const skew = explainLoadFailure([
      { source: "package", path: "/p/lightgbm_node.node", version: "0.0.1", outcome: "version" },
    ]);
    expect(skew.message).toMatch(/version 0\.0\.1, but lightgbm-node is /);
    expect(skew.message).toMatch(/reinstall so that the versions match/);
    const env = explainLoadFailure([{ source: "env", path: "/nope/lightgbm_node.node", outcome: "missing" }]);
    expect(env.message).toMatch(/LIGHTGBM_NODE_BINDING \/nope\/lightgbm_node\.node: not found/);
    expect(env.message).toMatch(/check the path given by LIGHTGBM_NODE_BINDING/);
    expect(env.message).not.toMatch(/install the prebuilt addon/);
  });

  const dist = join(root, "dist/index.js");
  const node = (code: string, env: NodeJS.ProcessEnv = {}, args: string[] = []) =>
    run(process.execPath, ["--input-type=module", "-e", code, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });

  it.runIf(existsSync(dist) && existsSync(addon))(
    "the nativeBinding option loads the named file; naming another afterwards is an error",
    async () => {
      const { stdout } = await node(`
      import { Model, loadedAddon, setNativeBinding } from ${JSON.stringify(dist)};
      const m = await Model.load("models/hr-attrition", { nativeBinding: ${JSON.stringify(addon)} });
      let other = "no error";
      try { setNativeBinding("/somewhere/else/lightgbm_node.node"); } catch (e) { other = e.message; }
      setNativeBinding(${JSON.stringify(addon)}); // the same file again is fine
      console.log(JSON.stringify({ engine: m.engine.name, addon: loadedAddon(), other }));
    `);
      const got = JSON.parse(stdout);
      expect(got).toMatchObject({
        engine: "native",
        addon: { source: "option", path: addon, lightgbm: "4.7.0" },
      });
      expect(got.other).toMatch(/already loaded from .*cannot be switched/);
    },
  );

  /** The locally built addon and its library, copied to a folder of their own (not a place searched). */
  function addonCopy(): string {
    const dir = mkdtempSync(join(tmpdir(), "lgbm-binding-"));
    for (const f of ["lightgbm_node.node", "lib_lightgbm.so", "lightgbm-library.json"]) {
      copyFileSync(join(root, "build/Release", f), join(dir, f));
    }
    return join(dir, "lightgbm_node.node");
  }
  const loadWith = `
      import { Model, loadedAddon } from ${JSON.stringify(dist)};
      const option = process.argv[1];
      const m = await Model.load("models/hr-attrition", option ? { nativeBinding: option } : {});
      console.log(JSON.stringify({ engine: m.engine.name, addon: loadedAddon() }));
    `;

  it.runIf(existsSync(dist) && existsSync(addon) && process.platform === "linux")(
    "LIGHTGBM_NODE_BINDING naming a real file loads that file (source env)",
    async () => {
      const copy = addonCopy();
      try {
        const { stdout, stderr } = await node(loadWith, { LIGHTGBM_NODE_BINDING: copy });
        expect(JSON.parse(stdout)).toEqual({
          engine: "native",
          addon: { source: "env", path: copy, lightgbm: pin.version },
        });
        expect(stderr).not.toMatch(/LIGHTGBM_NODE_NO_NATIVE/);
      } finally {
        rmSync(dirname(copy), { recursive: true, force: true });
      }
    },
  );

  it.runIf(existsSync(dist) && existsSync(addon) && process.platform === "linux")(
    "the nativeBinding option wins over LIGHTGBM_NODE_BINDING",
    async () => {
      const copy = addonCopy();
      try {
        const { stdout } = await node(loadWith, { LIGHTGBM_NODE_BINDING: copy }, [addon]);
        expect(JSON.parse(stdout)).toEqual({
          engine: "native",
          addon: { source: "option", path: addon, lightgbm: pin.version },
        });
      } finally {
        rmSync(dirname(copy), { recursive: true, force: true });
      }
    },
  );

  it.runIf(existsSync(dist))(
    "LIGHTGBM_NODE_BINDING pointing nowhere: native is an error, auto falls back with one warning",
    async () => {
      const { stdout, stderr } = await node(
        `
      import { Model } from ${JSON.stringify(dist)};
      let native;
      try { await Model.load("models/hr-attrition", { engine: "native" }); } catch (e) { native = e.message; }
      const a = await Model.load("models/hr-attrition");
      const b = await Model.load("models/hr-attrition");
      console.log(JSON.stringify({ native, engines: [a.engine.name, b.engine.name] }));
    `,
        { LIGHTGBM_NODE_BINDING: "/nope/lightgbm_node.node" },
      );
      const got = JSON.parse(stdout);
      expect(got.engines).toEqual(["wasm", "wasm"]);
      expect(got.native).toMatch(/LIGHTGBM_NODE_BINDING \/nope\/lightgbm_node\.node: not found/);
      expect(stderr.match(/\[LIGHTGBM_NODE_NO_NATIVE\] Warning: could not load/g)).toHaveLength(1);
    },
  );
});
