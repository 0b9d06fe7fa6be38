// Installed as a dependency of another project: `npm pack` this package, install the tarball into a
// fresh temp project (its install step builds the addon against lib_lightgbm; LIGHTGBM_LIB points at
// this checkout's vendored copy so no pip/wheel download is needed), then import both entry points,
// predict, use the drift entry, and run the `lgbm` bin. Slow (npm install + addon compile): about a minute.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Model } from "../src/model.js";
import { HR_RECORD } from "./helpers/records.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const lib = join(root, "vendor/lightgbm/lib_lightgbm.so");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const record = HR_RECORD;

const consumer = `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Model, nativeAvailable } from "lightgbm-node";
import { JsEngine } from "lightgbm-node/js";
import { DriftMonitor } from "lightgbm-node/drift";
const require = createRequire(import.meta.url);
const bundle = require.resolve("lightgbm-node/package.json").replace(/package\\.json$/, "models/hr-attrition");
const record = ${JSON.stringify(record)};
const native = await Model.load(bundle, { engine: "native" });
const viaJs = await Model.load(bundle, { engine: "js" });
const engine = JsEngine.fromString(readFileSync(bundle + "/model.txt", "utf8"));
const monitor = new DriftMonitor(native.spec, { thresholds: { minCount: 1 } });
monitor.observe([record]);
console.log(JSON.stringify({
  nativeAvailable: nativeAvailable(),
  engine: native.engine.name,
  native: native.predict(record),
  js: viaJs.predict(record),
  jsEntry: engine.predictRow(native.encode([record]).data)[0],
  driftFields: monitor.report().fields.length,
}));
`;

describe.skipIf(!existsSync(lib) || !existsSync(join(root, "dist/index.js")))(
  "npm pack → npm install in another project",
  () => {
    it("imports lightgbm-node and lightgbm-node/js from the installed tarball and predicts", {
      timeout: 600_000,
    }, async () => {
      const tmp = mkdtempSync(join(tmpdir(), "lgbm-consumer-"));
      const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", LIGHTGBM_LIB: lib, CI: "true" };
      await run(npm, ["pack", "--pack-destination", tmp], { cwd: root, env, maxBuffer: 64 << 20 });
      const tarball = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
      expect(tarball).toBeDefined();

      writeFileSync(
        join(tmp, "package.json"),
        JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
      );
      try {
        await run(npm, ["install", `./${tarball}`, "--prefer-offline", "--no-audit", "--no-fund"], {
          cwd: tmp,
          env,
          maxBuffer: 64 << 20,
        });
      } catch (err) {
        const e = err as { stdout: string; stderr: string };
        throw new Error(
          `npm install of the packed tarball failed:\n${(e.stderr || e.stdout).split("\n").slice(-40).join("\n")}`,
        );
      }
      const installed = join(tmp, "node_modules/lightgbm-node");
      expect(existsSync(join(installed, "build/Release/lightgbm_node.node"))).toBe(true);
      // The published package carries no sources or tests, only what runs.
      expect(existsSync(join(installed, "src"))).toBe(false);
      expect(existsSync(join(installed, "test"))).toBe(false);

      writeFileSync(join(tmp, "check.mjs"), consumer);
      const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: tmp, env });
      const got = JSON.parse(stdout);
      const model = await Model.load(join(root, "models/hr-attrition"), { engine: "native" });
      const want = model.predict(record) as unknown as { prediction: number; probability: number };
      model.dispose();
      expect(got).toMatchObject({ nativeAvailable: true, engine: "native" });
      expect(got.native).toEqual(want);
      expect(got.js.prediction).toBe(want.prediction);
      expect(got.js.probability).toBeCloseTo(want.probability, 12);
      expect(got.jsEntry).toBeCloseTo(want.probability, 12);
      expect(got.driftFields).toBe(9);

      // The bin is linked and runs.
      const inspect = await run(
        join(tmp, "node_modules/.bin/lgbm"),
        ["inspect", "-m", join(installed, "models/hr-attrition"), "--json"],
        {
          cwd: tmp,
          env,
        },
      );
      expect(JSON.parse(inspect.stdout)).toMatchObject({ objective: "binary", numFeatures: 20 });
    });
  },
);
