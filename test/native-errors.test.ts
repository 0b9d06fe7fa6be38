// Bad arguments, bad model files and lifetime misuse: each a clear typed error, never a crash.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NativeEngine } from "../src/engines/native.js";
import { DisposedError, LightGBMError, ValidationError } from "../src/errors.js";
import { Model } from "../src/model.js";
import { ModelParseError } from "../src/model-text/errors.js";
import { loadBinding } from "../src/native/binding.js";
import { loadZooCase } from "./helpers/zoo.js";

const c = loadZooCase("binary");
const tmp = mkdtempSync(join(tmpdir(), "lgbm-errors-"));
const engine = NativeEngine.fromFile(c.modelFile);
afterAll(() => engine.dispose());

function writeModel(name: string, text: string | Buffer): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe("predict arguments", () => {
  it("refuses a Float32Array instead of reading it as doubles", () => {
    expect(() => engine.predict(new Float32Array(c.ncol) as unknown as Float64Array, 1)).toThrow(TypeError);
    expect(() => engine.predict(new Float32Array(c.ncol) as unknown as Float64Array, 1)).toThrow(
      /Float64Array/,
    );
    expect(() => engine.predictRow(new Float32Array(c.ncol) as unknown as Float64Array)).toThrow(TypeError);
  });

  it("refuses a length that is not nrow * numFeatures", () => {
    expect(() => engine.predict(new Float64Array(c.ncol * 2 - 1), 2)).toThrow(RangeError);
    expect(() => engine.predict(new Float64Array(c.ncol), 2)).toThrow(/expected nrow \* ncol/);
    expect(() => engine.predictRow(new Float64Array(c.ncol + 1))).toThrow(/features/);
  });

  it("refuses ncol different from the model's features at the addon boundary", () => {
    const { Booster } = loadBinding();
    const b = new Booster("file", c.modelFile);
    try {
      expect(() => b.predict(new Float64Array(10), 1, 10, 0, 0, -1, "")).toThrow(
        /ncol is 10 but the model has/,
      );
      expect(() => b.predict(new Float64Array(c.ncol), 1.5, c.ncol, 0, 0, -1, "")).toThrow(/integer/);
      expect(() => b.predict(new Float64Array(c.ncol), -1, c.ncol, 0, 0, -1, "")).toThrow(RangeError);
      expect(() => b.predict(new Float64Array(c.ncol), 1, c.ncol, 7, 0, -1, "")).toThrow(/type/);
      expect(() => b.predict([1, 2] as unknown as Float64Array, 1, c.ncol, 0, 0, -1, "")).toThrow(TypeError);
    } finally {
      b.dispose();
    }
  });

  it("refuses unknown predict types and thread counts", () => {
    expect(() => engine.predict(c.X, c.nrow, { type: "proba" as never })).toThrow(/type must be one of/);
    expect(() => engine.predict(c.X, c.nrow, { numThreads: 0 })).toThrow(/numThreads/);
  });

  it("matrix API checks rows of number arrays", async () => {
    const model = await Model.load(c.modelFile);
    try {
      expect(() => model.predict([[1, 2]])).toThrow(ValidationError);
      expect(() => model.predict([Array(c.ncol).fill("x")] as never)).toThrow(
        /row 0: column 0: expected a number/,
      );
      const row = Array.from(c.X.subarray(0, c.ncol));
      expect(model.predict([row])[0]).toBe(c.expected.normal![0]);
      expect(model.predict(new Float64Array(0)).length).toBe(0);
    } finally {
      model.dispose();
    }
  });
});

describe("bad model files", () => {
  const good = readFileSync(c.modelFile, "utf8");
  const cases: [string, string | Buffer][] = [
    ["empty", ""],
    ["header only", good.slice(0, good.indexOf("Tree=0"))],
    ["truncated in the first tree", good.slice(0, good.indexOf("Tree=0") + 200)],
    ["truncated in the middle", good.slice(0, Math.floor(good.length / 2))],
    ["truncated before end of trees", good.slice(0, good.indexOf("end of trees"))],
    ["binary garbage", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ["wrong tree_sizes", good.replace(/tree_sizes=(\d+)/, (_m, n) => `tree_sizes=${Number(n) + 5}`)],
    ["not a model", "hello world\n"],
  ];
  it.each(cases)("%s is a ModelParseError, and the addon's own guard refuses it too", (name, text) => {
    const file = writeModel(`${name.replace(/\W/g, "_")}.txt`, text);
    expect(() => NativeEngine.fromFile(file)).toThrow(ModelParseError);
    expect(() => NativeEngine.fromString(text.toString())).toThrow(ModelParseError);
    // Defence in depth: the addon (native/model_guard.cc) refuses truncated text before LightGBM sees it.
    const { Booster } = loadBinding();
    expect(() => new Booster("string", text.toString())).toThrow(
      expect.objectContaining({ code: "ERR_LIGHTGBM" }),
    );
  });

  // Same-length edits that keep tree_sizes right: LightGBM itself segfaults, aborts or hangs on these.
  const corruptions: [string, (t: string) => string][] = [
    ["a child index out of range", (t) => t.replace("left_child=1 ", "left_child=9 ")],
    ["a cycle", (t) => t.replace("left_child=1 ", "left_child=0 ")],
    ["a wrong leaf count", (t) => t.replace("num_leaves=8", "num_leaves=9")],
    ["a feature index out of range", (t) => t.replace(/split_feature=\d/, "split_feature=9")],
  ];
  it.each(corruptions)("%s is a ModelParseError with a line number, not a crash", (_name, corrupt) => {
    const text = corrupt(good);
    expect(text).not.toBe(good);
    try {
      NativeEngine.fromString(text);
      expect.unreachable("loaded a corrupt model");
    } catch (err) {
      expect(err).toBeInstanceOf(ModelParseError);
      expect((err as ModelParseError).line).toBeGreaterThan(0);
    }
  });

  it("a missing file names the path", () => {
    expect(() => NativeEngine.fromFile(join(tmp, "nope.txt"))).toThrow(/nope\.txt/);
  });

  it("Model.load names a folder without model.txt", async () => {
    await expect(Model.load(tmp)).rejects.toThrow(/without model\.txt/);
  });
});

describe("lifetime", () => {
  it("dispose is idempotent and later calls throw DisposedError", () => {
    const e = NativeEngine.fromFile(c.modelFile);
    e.dispose();
    e.dispose();
    expect(e.disposed).toBe(true);
    expect(() => e.predict(c.X, c.nrow)).toThrow(DisposedError);
    expect(() => e.predictRow(c.X.subarray(0, c.ncol))).toThrow(DisposedError);
  });

  it("dispose while an async predict runs: the predict completes correctly", async () => {
    const e = NativeEngine.fromFile(c.modelFile);
    const reps = 2000;
    const big = new Float64Array(c.X.length * reps);
    for (let i = 0; i < reps; i++) big.set(c.X, i * c.X.length);
    const pending = e.predictAsync(big, c.nrow * reps, { type: "raw" });
    e.dispose();
    const out = await pending;
    expect(out.length).toBe(c.nrow * reps);
    expect(Array.from(out.subarray(out.length - c.nrow))).toEqual(Array.from(c.expected.raw!));
  });

  it("many engines created and dropped are freed by their finalizers without crashing", () => {
    for (let i = 0; i < 200; i++) NativeEngine.fromString(c.modelText).predictRow(c.X.subarray(0, c.ncol));
    (globalThis as { gc?: () => void }).gc?.();
  });
});
