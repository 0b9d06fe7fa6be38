// The canonical text (src/model-text/write.ts) is the only text LightGBM reads: it must hold the same
// model, bit for bit, as the file it was written from. Proved on every zoo model two ways: LightGBM's own
// re-serialization of both boosters agrees, and every predict type and iteration range agrees.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsEngine } from "../src/engines/js/index.js";
import { NativeEngine } from "../src/engines/native.js";
import { OnnxEngine } from "../src/engines/onnx/engine.js";
import { WasmEngine } from "../src/engines/wasm/index.js";
import { ModelParseError } from "../src/model-text/errors.js";
import { formatDouble, parseModel } from "../src/model-text/parse.js";
import { writeModelText } from "../src/model-text/write.js";
import { loadBinding, type NativeBooster } from "../src/native/binding.js";
import { firstDifference, loadZooCase, zooNames } from "./helpers/zoo.js";

const { Booster } = loadBinding();
const canonical = (text: string) => writeModelText(parseModel(text));
/** LightGBM's text of a booster up to its parameters section (the training settings we drop). */
const trees = (b: NativeBooster) => b.saveModelToString(0, -1, 0).split("parameters:")[0].trimEnd();

function outcome(
  b: NativeBooster,
  X: Float64Array,
  nrow: number,
  ncol: number,
  type: number,
  start: number,
  num: number,
) {
  try {
    return b.predict(X, nrow, ncol, type, start, num, "num_threads=2");
  } catch (err) {
    return (err as Error).message;
  }
}

describe.each(zooNames())("canonical text of zoo model %s", (name) => {
  const c = loadZooCase(name);
  const text = canonical(c.modelText);

  it("LightGBM holds the same model: its own re-serialization of both boosters is the same text", () => {
    const a = new Booster("string", c.modelText);
    const b = new Booster("string", text);
    try {
      expect(trees(b)).toBe(trees(a));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("every predict type and iteration range gives the same bits (or the same refusal)", () => {
    const a = new Booster("string", c.modelText);
    const b = new Booster("string", text);
    try {
      const total = a.currentIteration();
      const ranges = [
        [0, -1],
        [c.iterations.start, c.iterations.num],
        [1, 1],
        [total - 1, 5],
        [0, 1],
      ];
      for (const type of [0, 1, 2, 3]) {
        for (const [start, num] of ranges) {
          const want = outcome(a, c.X, c.nrow, c.ncol, type, start, num);
          const got = outcome(b, c.X, c.nrow, c.ncol, type, start, num);
          if (typeof want === "string") expect(got, `type ${type} [${start}, ${num}]`).toBe(want);
          else expect(firstDifference(got as Float64Array, want), `type ${type} [${start}, ${num}]`).toBe(-1);
        }
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it("is a fixed point of parse and write, and parses to the same model", () => {
    expect(canonical(text)).toBe(text);
    const m1 = parseModel(c.modelText);
    const m2 = parseModel(text);
    expect(m2.trees.length).toBe(m1.trees.length);
    for (let t = 0; t < m1.trees.length; t++) {
      for (const k of ["threshold", "leafValue", "splitGain", "internalCount", "leafCount"] as const) {
        expect(firstDifference(Float64Array.from(m2.trees[t][k]), Float64Array.from(m1.trees[t][k])), k).toBe(
          -1,
        );
      }
    }
  });
});

describe("numbers in the canonical text", () => {
  const extremes = [
    0,
    -0,
    5e-324,
    -2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    1e21,
    1e-7,
    0.1,
    1 / 3,
    -123456789.12345678,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ];

  it("formatDouble round-trips every double through Number()", () => {
    for (const x of extremes)
      expect(
        Object.is(
          Number(
            formatDouble(x)
              .replace(/^(-?)inf$/, "$1Infinity")
              .replace("nan", "NaN"),
          ),
          x,
        ),
      ).toBe(true);
    for (let i = 0; i < 2000; i++) {
      const bits = new BigUint64Array([
        BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 53)) * 2048n + BigInt(i)),
      ]);
      const x = new Float64Array(bits.buffer)[0];
      if (Number.isFinite(x)) expect(Object.is(Number(formatDouble(x)), x), `${x}`).toBe(true);
    }
  });

  it("LightGBM reads back extreme leaf values and thresholds bit for bit", () => {
    // A one-split tree per extreme value: leaf 0 holds the value, the threshold is the value too.
    const c = loadZooCase("single_leaf");
    const model = parseModel(c.modelText);
    const finite = extremes.filter((x) => Number.isFinite(x));
    for (const x of finite) {
      const m = parseModel(c.modelText);
      const t = m.trees[0];
      t.leafValue[0] = x;
      const text = writeModelText(m);
      const b = new Booster("string", text);
      try {
        const out = b.predict(new Float64Array(model.numFeatures), 1, model.numFeatures, 1, 0, 1, "");
        // (a raw score is a sum from +0, so -0 comes out as 0: LightGBM's own text shows the sign)
        if (Object.is(x, -0)) expect(b.saveModelToString(0, -1, 0)).toContain("\nleaf_value=-0\n");
        else expect(Object.is(out[0], x), `${x}`).toBe(true);
      } finally {
        b.dispose();
      }
    }
  });
});

describe("what the design refuses or keeps", () => {
  const hr = readFileSync(join(import.meta.dirname, "../models/hr-attrition/model.txt"), "utf8");

  it("the issue's example (internal_weight=2>84.58 in tree 0) is a ModelParseError naming the line, on every engine", async () => {
    const bad = hr.replace("internal_weight=2184.58", "internal_weight=2>84.58");
    expect(bad).not.toBe(hr);
    expect(bad.length).toBe(hr.length);
    const line = bad.slice(0, bad.indexOf("internal_weight=2>84.58")).split("\n").length;
    for (const load of [() => NativeEngine.fromString(bad), () => JsEngine.fromString(bad)]) {
      expect(load).toThrow(ModelParseError);
      expect(load).toThrow(`line ${line}: internal_weight: "2>84.58" is not a number`);
    }
    const message = `line ${line}: internal_weight: "2>84.58" is not a number`;
    for (const load of [() => WasmEngine.create(bad), () => OnnxEngine.fromString(bad)]) {
      await expect(load()).rejects.toThrow(ModelParseError);
      await expect(load()).rejects.toThrow(message);
    }
  });

  it("a subnormal linear coefficient (LightGBM's std::stod throws on it inside OpenMP) is refused", () => {
    const c = loadZooCase("linear");
    const bad = c.modelText.replace(/^leaf_const=(\S+)/m, "leaf_const=5e-324");
    expect(() => parseModel(bad)).toThrow(/subnormal/);
  });

  it("linear_tree from the parameters section is kept: LightGBM refuses SHAP values the same way", () => {
    const c = loadZooCase("linear");
    expect(writeModelText(parseModel(c.modelText))).toContain("[linear_tree: 1]");
    expect(writeModelText(parseModel(loadZooCase("binary").modelText))).not.toContain("parameters:");
    expect(() => parseModel(c.modelText.replace("[linear_tree: 1]", "[linear_tree: yes]"))).toThrow(
      ModelParseError,
    );
  });
});
