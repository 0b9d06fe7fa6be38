/**
 * The onnx engine through the SDK and the CLI: Model.load(..., { engine: "onnx" }), sync and async
 * paths, unsupported predict types, `lgbm export-onnx` and `lgbm predict --engine onnx`.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { OnnxEngine, OnnxUnsupportedError } from "../src/engines/onnx/engine.js";
import { Model } from "../src/model.js";
import { firstDifference, loadZooCase } from "./helpers/zoo.js";

const run = promisify(execFile);

/**
 * With more than one intra-op thread, onnxruntime may split a small batch's trees across threads and
 * add the partial sums: raw scores then differ from LightGBM's tree-order sum by a few ulp.
 */
const MULTI_THREAD_TOL = 1e-13;

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const bin = join(import.meta.dirname, "../bin/lgbm.js");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-onnx-"));
const lgbm = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 64 << 20 });

describe("onnx engine", () => {
  it("Model.load with engine 'onnx': matrix predict, predictAsync, predictRow", async () => {
    const c = loadZooCase("multiclass");
    const model = await Model.load(c.modelFile, { engine: "onnx", numThreads: 1 });
    try {
      expect(model.engine.name).toBe("onnx");
      expect(model.info.numClasses).toBe(3);
      expect(model.outputWidth({ type: "raw" })).toBe(3);
      const raw = model.predict(c.X, { type: "raw" }) as Float64Array;
      expect(firstDifference(raw, c.expected.raw!)).toBe(-1);
      const rawAsync = await model.predictAsync(c.X, { type: "raw" });
      expect(firstDifference(rawAsync, c.expected.raw!)).toBe(-1);
      const row = model.predictRow(c.X.subarray(0, c.ncol), { type: "raw" });
      expect(firstDifference(row, c.expected.raw!.subarray(0, 3))).toBe(-1);
      expect(model.predict(new Float64Array(0), { type: "raw" })).toHaveLength(0);
    } finally {
      model.dispose();
    }
  });

  it("leaf and contrib fail with a clear error", async () => {
    const c = loadZooCase("binary");
    const e = await OnnxEngine.fromString(c.modelText);
    for (const type of ["leaf", "contrib"] as const) {
      expect(() => e.predict(c.X, c.nrow, { type })).toThrow(OnnxUnsupportedError);
      expect(() => e.predict(c.X, c.nrow, { type })).toThrow(
        `the onnx engine does not support "${type}" predictions`,
      );
      await expect(e.predictAsync(c.X, c.nrow, { type })).rejects.toThrow(/does not support/);
      expect(() => e.outputWidth({ type })).toThrow(/does not support/);
    }
    expect(() => e.predict(c.X, c.nrow + 1)).toThrow(RangeError);
    e.dispose();
    expect(() => e.predict(c.X, c.nrow)).toThrow(/disposed/);
  });

  it("public async API only (sync: false): predictAsync works, predict points to predictAsync", async () => {
    const c = loadZooCase("regression");
    const e = await OnnxEngine.fromString(c.modelText, { sync: false, numThreads: 1 });
    expect(e.synchronous).toBe(false);
    expect(() => e.predict(c.X, c.nrow)).toThrow(/use predictAsync/);
    const out = await e.predictAsync(c.X, c.nrow, { type: "raw" });
    expect(firstDifference(out, c.expected.raw!)).toBe(-1);
    const part = await e.predictAsync(c.X, c.nrow, {
      type: "raw",
      startIteration: c.iterations.start,
      numIterations: c.iterations.num,
    });
    expect(firstDifference(part, c.iterations.raw!)).toBe(-1);
    e.dispose();
  });

  it("threads: numThreads is onnxruntime's intra-op threads; > 1 may change the last bits of raw scores", async () => {
    const c = loadZooCase("cat_wide");
    const one = await OnnxEngine.fromString(c.modelText, { numThreads: 1 });
    const two = await OnnxEngine.fromString(c.modelText, { numThreads: 2 });
    expect(firstDifference(one.predict(c.X, c.nrow, { type: "raw" }), c.expected.raw!)).toBe(-1);
    expect(maxAbsDiff(two.predict(c.X, c.nrow, { type: "raw" }), c.expected.raw!)).toBeLessThanOrEqual(
      MULTI_THREAD_TOL,
    );
    await expect(OnnxEngine.fromString(c.modelText, { numThreads: -1 })).rejects.toThrow(/numThreads/);
    one.dispose();
    two.dispose();
  });

  it("a linear model cannot load on the onnx engine", async () => {
    await expect(Model.load(loadZooCase("linear").modelFile, { engine: "onnx" })).rejects.toThrow(
      /linear trees/,
    );
  });
});

describe("lgbm export-onnx / predict --engine onnx", () => {
  it("export-onnx writes a file onnxruntime loads, with LightGBM's raw scores", async () => {
    const c = loadZooCase("nan_missing");
    const out = join(tmp, "nan.onnx");
    const { stderr } = await lgbm("export-onnx", "--model", c.modelFile, "--out", out);
    expect(stderr).toMatch(/wrote .*nan\.onnx/);
    const { InferenceSession, Tensor } = await import("onnxruntime-node");
    const s = await InferenceSession.create(out);
    const res = await s.run({ X: new Tensor("float64", c.X, [c.nrow, c.ncol]) }, ["raw"]);
    // onnxruntime's default threads: trees may be summed in per-thread partial sums (see below)
    expect(maxAbsDiff(res.raw.data as Float64Array, c.expected.raw!)).toBeLessThanOrEqual(MULTI_THREAD_TOL);
    await s.release();
  });

  it("export-onnx --ml-opset 3 prints the float32 warning", async () => {
    const out = join(tmp, "legacy.onnx");
    const { stderr } = await lgbm(
      "export-onnx",
      "--model",
      loadZooCase("binary").modelFile,
      "--out",
      out,
      "--ml-opset",
      "3",
    );
    expect(stderr).toMatch(/^lgbm: warning: ai\.onnx\.ml opset 3: TreeEnsembleRegressor outputs float32/m);
    expect(existsSync(out)).toBe(true);
  });

  it("export-onnx refuses a linear model: exit 1, one clear line, no file", async () => {
    const out = join(tmp, "linear.onnx");
    const err = await lgbm("export-onnx", "--model", loadZooCase("linear").modelFile, "--out", out).catch(
      (e) => e,
    );
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/^lgbm: OnnxExportError: linear trees/);
    expect(existsSync(out)).toBe(false);
  });

  it("lgbm predict --engine onnx equals LightGBM's output (raw exactly with --threads 1)", async () => {
    const c = loadZooCase("binary");
    const names = readFileSync(c.modelFile, "utf8")
      .match(/^feature_names=(.*)$/m)![1]
      .split(" ");
    const lines = [names.join(",")];
    for (let r = 0; r < c.nrow; r++) {
      lines.push(
        Array.from(c.X.subarray(r * c.ncol, (r + 1) * c.ncol), (v) =>
          Number.isNaN(v) ? "" : String(v),
        ).join(","),
      );
    }
    const csv = join(tmp, "binary.csv");
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const args = ["predict", "--model", c.modelFile, "--input", csv, "--engine", "onnx", "--type", "raw"];
    const parse = (out: string) => Float64Array.from(out.trim().split("\n").slice(1), Number);
    const one = await lgbm(...args, "--threads", "1");
    expect(firstDifference(parse(one.stdout), c.expected.raw!)).toBe(-1);
    const all = await lgbm(...args);
    expect(maxAbsDiff(parse(all.stdout), c.expected.raw!)).toBeLessThanOrEqual(MULTI_THREAD_TOL);
    const err = await lgbm(
      "predict",
      "--model",
      c.modelFile,
      "--input",
      csv,
      "--engine",
      "onnx",
      "--type",
      "leaf",
    ).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/the onnx engine does not support "leaf" predictions/);
  });
});
