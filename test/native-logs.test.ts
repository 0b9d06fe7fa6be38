// LightGBM's log lines go to the SDK logger, not raw to stdout.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { setLogger } from "../src/logger.js";
import { flushNativeLogs, loadBinding } from "../src/native/binding.js";

afterEach(() => setLogger(null));

function trainTiny(params: string) {
  const { Dataset, Booster } = loadBinding();
  const n = 200;
  const X = Float64Array.from({ length: n * 2 }, (_, i) => (i * 37) % 101);
  const y = Float64Array.from({ length: n }, (_, i) => i % 2);
  const ds = new Dataset(X, n, 2, params);
  ds.setField("label", y);
  const b = new Booster("train", ds, params);
  b.updateOneIter();
  b.dispose();
  ds.dispose();
}

describe("LightGBM log routing", () => {
  it("forwards LightGBM's lines to the logger set with setLogger", () => {
    const lines: string[] = [];
    setLogger({
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error() {},
    });
    trainTiny("objective=binary verbose=1 num_threads=1");
    flushNativeLogs();
    expect(lines.some((l) => l.startsWith("[LightGBM] [Info]"))).toBe(true);
  });

  it("prints nothing of LightGBM's to stdout (the callback replaces printf)", () => {
    const script = `
      const { createRequire } = require("node:module");
      const { Dataset, Booster } = require(${JSON.stringify(join(import.meta.dirname, "../build/Release/lightgbm_node.node"))});
      const X = Float64Array.from({ length: 400 }, (_, i) => (i * 37) % 101);
      const y = Float64Array.from({ length: 200 }, (_, i) => i % 2);
      const ds = new Dataset(X, 200, 2, "objective=binary verbose=1 num_threads=1");
      ds.setField("label", y);
      const b = new Booster("train", ds, "objective=binary verbose=1 num_threads=1");
      b.updateOneIter();
      process.stdout.write("done " + require(${JSON.stringify(join(import.meta.dirname, "../build/Release/lightgbm_node.node"))}).takeLogs().length);
    `;
    const out = execFileSync(process.execPath, ["-e", script]).toString();
    expect(out).toMatch(/^done [1-9]\d*$/);
  });

  it("routes LightGBM's own [Fatal] lines (printed by Log::Fatal itself) to the logs, not stderr", () => {
    // contrib on a linear-tree model: LightGBM prints "[LightGBM] [Fatal] ..." and throws.
    const addon = JSON.stringify(join(import.meta.dirname, "../build/Release/lightgbm_node.node"));
    const model = JSON.stringify(join(import.meta.dirname, "fixtures/zoo/linear/model.txt"));
    const script = `
      const { Booster, takeLogs } = require(${addon});
      const b = new Booster("file", ${model});
      const ncol = b.numFeatures();
      let message = "no error";
      try { b.predict(new Float64Array(ncol), 1, ncol, 3, 0, -1, "num_threads=1"); } catch (e) { message = e.message; }
      process.stdout.write(JSON.stringify({ message, logs: takeLogs() }));
    `;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("[LightGBM]");
    const { message, logs } = JSON.parse(r.stdout);
    expect(message).toMatch(/SHAP feature contributions is not implemented for linear trees/);
    expect(logs).toContainEqual(expect.stringMatching(/^\[LightGBM\] \[Fatal\] Predicting SHAP/));
  });
});
