/**
 * ONNX export, run in onnxruntime-node, against LightGBM's own predictions (zoo fixtures) and the
 * native engine. The export is double precision end to end (TreeEnsemble, ai.onnx.ml opset 5), so:
 *   raw scores: identical to LightGBM (Object.is), on the zoo rows and on adversarial rows
 *   transformed outputs: within 1e-15 relative (the exp of onnxruntime vs the C library's; a few ulp)
 * Refusals: linear trees, and features a single ONNX input rule cannot serve.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { afterAll, describe, expect, it } from "vitest";
import { JsEngine } from "../src/engines/js/index.js";
import { NativeEngine } from "../src/engines/native.js";
import { OnnxEngine } from "../src/engines/onnx/engine.js";
import { exportOnnxModel, OnnxExportError } from "../src/engines/onnx/export.js";
import { exportOnnx } from "../src/engines/onnx/index.js";
import { ONNX_SCHEMA } from "../src/engines/onnx/onnx-schema.js";
import { decodeModel } from "../src/engines/onnx/proto.js";
import { Model } from "../src/model.js";
import { withTreeSizes } from "./helpers/tree-sizes.js";
import { firstDifference, loadZooCase, zooNames } from "./helpers/zoo.js";

/** Relative tolerance of transformed outputs (double precision export). */
const NORMAL_TOL = 1e-15;
const LINEAR = new Set(["linear", "linear_binary"]);
const exportable = zooNames().filter((n) => !LINEAR.has(n));

const engines: OnnxEngine[] = [];
afterAll(() => {
  for (const e of engines) e.dispose();
});
async function onnxEngine(text: string): Promise<OnnxEngine> {
  const e = await OnnxEngine.fromString(text, { numThreads: 1 });
  engines.push(e);
  return e;
}

function maxRel(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}

let nativeOk = true;
try {
  NativeEngine.fromString(loadZooCase("single_leaf").modelText).dispose();
} catch (err) {
  nativeOk = false;
  console.warn(`native engine unavailable, skipping onnx/native checks: ${(err as Error).message}`);
}

describe("exportOnnx + onnxruntime-node vs LightGBM", () => {
  it.each(exportable)("%s: raw identical, normal within 1e-15", async (name) => {
    const c = loadZooCase(name);
    const e = await onnxEngine(c.modelText);
    const raw = e.predict(c.X, c.nrow, { type: "raw" });
    expect(firstDifference(raw, c.expected.raw!)).toBe(-1);
    const normal = await e.predictAsync(c.X, c.nrow);
    expect(maxRel(normal, c.expected.normal!)).toBeLessThanOrEqual(NORMAL_TOL);
    // iteration ranges: a session over the range's trees
    const { start, num } = c.iterations;
    const part = e.predict(c.X, c.nrow, { type: "raw", startIteration: start, numIterations: num });
    expect(firstDifference(part, c.iterations.raw!)).toBe(-1);
  });

  it.runIf(nativeOk).each(exportable)(
    "%s: adversarial rows (thresholds +-1 ulp, +-0, kZeroThreshold, NaN, inf, odd categories): raw and normal vs native",
    async (name) => {
      const c = loadZooCase(name);
      const n = 1000;
      const X = adversarialRows(c.modelText, c.ncol, n, 11);
      const native = NativeEngine.fromString(c.modelText, { numThreads: 1 });
      const e = await onnxEngine(c.modelText);
      expect(firstDifference(e.predict(X, n, { type: "raw" }), native.predict(X, n, { type: "raw" }))).toBe(
        -1,
      );
      expect(maxRel(e.predict(X, n), native.predict(X, n))).toBeLessThanOrEqual(NORMAL_TOL);
      native.dispose();
    },
  );

  it("graph: opset 5 TreeEnsemble, double input/outputs, no ZipMap, plain label/probabilities tensors", () => {
    const c = loadZooCase("cat_wide_binary");
    const { bytes, info } = exportOnnxModel(c.modelText);
    const m = decodeModel(bytes) as {
      ir_version: number;
      opset_import: { domain?: string; version: number }[];
      graph: {
        node: { op_type: string; domain?: string }[];
        input: { name: string }[];
        output: { name: string }[];
      };
    };
    expect(m.opset_import).toContainEqual({ domain: "ai.onnx.ml", version: 5 });
    const ops = m.graph.node.map((n) => n.op_type);
    expect(ops).toContain("TreeEnsemble");
    expect(ops).not.toContain("ZipMap");
    expect(m.graph.output.map((o) => o.name)).toEqual(["raw", "prediction", "label", "probabilities"]);
    expect(info.warnings).toEqual([]);
  });

  it("binary: label and probabilities outputs", async () => {
    const c = loadZooCase("binary");
    const { bytes } = exportOnnxModel(c.modelText);
    const { InferenceSession, Tensor } = await import("onnxruntime-node");
    const s = await InferenceSession.create(bytes);
    const out = await s.run({ X: new Tensor("float64", c.X, [c.nrow, c.ncol]) });
    const p = c.expected.normal!;
    const probs = out.probabilities.data as Float64Array;
    const label = out.label.data as BigInt64Array;
    expect(out.probabilities.dims).toEqual([c.nrow, 2]);
    for (let r = 0; r < c.nrow; r++) {
      expect(probs[2 * r + 1]).toBeCloseTo(p[r], 14);
      expect(probs[2 * r]).toBeCloseTo(1 - p[r], 14);
      expect(label[r]).toBe(p[r] > 0.5 ? 1n : 0n);
    }
    await s.release();
  });

  it("accepts a model text, a Model, a NativeEngine and a JsEngine alike", async () => {
    const c = loadZooCase("multiclass");
    const bytes = exportOnnx(c.modelText);
    expect(exportOnnx(JsEngine.fromString(c.modelText))).toEqual(bytes);
    const model = await Model.fromString(c.modelText, { engine: "js" });
    expect(exportOnnx(model)).toEqual(bytes);
    if (nativeOk) {
      const n = NativeEngine.fromString(c.modelText);
      // LightGBM re-serializes the text: the same trees, so the same graph.
      expect(firstDifference(Float64Array.from(exportOnnx(n)), Float64Array.from(bytes))).toBe(-1);
      n.dispose();
    }
    expect(() => exportOnnx({} as object)).toThrow(/needs a LightGBM model text/);
  });

  it("the committed schema descriptor is onnx.proto's", () => {
    const proto = readFileSync(join(import.meta.dirname, "../src/engines/onnx/onnx.proto"), "utf8");
    const { root } = protobuf.parse(proto, { keepCase: true });
    expect(JSON.parse(JSON.stringify(root.toJSON()))).toEqual(JSON.parse(JSON.stringify(ONNX_SCHEMA)));
  });
});

describe("mlOpset 3 (TreeEnsembleRegressor, float32 output)", () => {
  it.each(exportable)("%s: raw equals LightGBM's raw rounded to float32", async (name) => {
    const c = loadZooCase(name);
    const { bytes, info } = exportOnnxModel(c.modelText, { mlOpset: 3 });
    expect(info.warnings.join(" ")).toMatch(/outputs float32/);
    const { InferenceSession, Tensor } = await import("onnxruntime-node");
    const s = await InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const out = await s.run({ X: new Tensor("float64", c.X, [c.nrow, c.ncol]) }, ["raw"]);
    // thresholds and leaf values are double: only the operator's float32 output rounds
    const expected = Float64Array.from(c.expected.raw!, Math.fround);
    expect(firstDifference(out.raw.data as Float64Array, expected)).toBe(-1);
    await s.release();
  });

  it("the graph uses TreeEnsembleRegressor under ai.onnx.ml opset 3", () => {
    const m = decodeModel(exportOnnxModel(loadZooCase("cat_wide").modelText, { mlOpset: 3 }).bytes) as {
      opset_import: { domain?: string; version: number }[];
      graph: { node: { op_type: string }[] };
    };
    expect(m.opset_import).toContainEqual({ domain: "ai.onnx.ml", version: 3 });
    expect(m.graph.node.map((n) => n.op_type)).toContain("TreeEnsembleRegressor");
    expect(() => exportOnnxModel(loadZooCase("binary").modelText, { mlOpset: 4 as 3 })).toThrow(
      /mlOpset must be 3 or 5/,
    );
  });
});

describe.runIf(nativeOk)("edge cases the mutation test found (test/model-mutations.test.ts)", () => {
  // cat_wide's first bitsets, made empty two ways: equal cat_boundaries, and a word with no bit set
  const c = loadZooCase("cat_wide");
  const empty = [
    withTreeSizes(c.modelText.replace(/^cat_boundaries=0 3 /m, "cat_boundaries=0 0 ")),
    withTreeSizes(c.modelText.replace(/^cat_threshold=\d+ \d+ \d+ /m, "cat_threshold=0 0 0 ")),
  ];
  it.each([0, 1])("an empty category bitset sends every value right, in both opsets (%i)", async (i) => {
    const text = empty[i];
    expect(text).not.toBe(c.modelText);
    const native = NativeEngine.fromString(text, { numThreads: 1 });
    const want = native.predict(c.X, c.nrow, { type: "raw" });
    native.dispose();
    expect(firstDifference((await onnxEngine(text)).predict(c.X, c.nrow, { type: "raw" }), want)).toBe(-1);
    const { InferenceSession, Tensor } = await import("onnxruntime-node");
    const s = await InferenceSession.create(exportOnnxModel(text, { mlOpset: 3 }).bytes, {
      intraOpNumThreads: 1,
    });
    const out = await s.run({ X: new Tensor("float64", c.X, [c.nrow, c.ncol]) }, ["raw"]);
    expect(firstDifference(out.raw.data as Float64Array, Float64Array.from(want, Math.fround))).toBe(-1);
    await s.release();
  });

  it("an iteration range past the last tree (no tree selected) gives LightGBM's output", async () => {
    const b = loadZooCase("binary");
    const native = NativeEngine.fromString(b.modelText, { numThreads: 1 });
    const e = await onnxEngine(b.modelText);
    const total = native.info.numIterations;
    for (const type of ["raw", "normal"] as const) {
      const opts = { type, startIteration: total, numIterations: 2 };
      expect(firstDifference(e.predict(b.X, b.nrow, opts), native.predict(b.X, b.nrow, opts)), type).toBe(-1);
    }
    native.dispose();
  });
});

describe("exportOnnx refusals", () => {
  it.each(["linear", "linear_binary"])("%s: linear trees are refused", (name) => {
    const c = loadZooCase(name);
    expect(() => exportOnnx(c.modelText)).toThrow(OnnxExportError);
    expect(() => exportOnnx(c.modelText)).toThrow(
      /linear trees \(linear_tree=true\) cannot be exported to ONNX/,
    );
  });

  it("a feature with both categorical and numerical splits is refused, naming it", () => {
    const c = loadZooCase("cat_narrow");
    const text = c.modelText;
    // Make the first numerical split of tree 0 use the feature of its first categorical split.
    const tree0 = text.indexOf("Tree=0");
    const dtLine = /decision_type=(.*)/.exec(text.slice(tree0))!;
    const sfLine = /split_feature=(.*)/.exec(text.slice(tree0))!;
    const dts = dtLine[1].split(" ").map(Number);
    const sfs = sfLine[1].split(" ");
    const cat = dts.findIndex((d) => (d & 1) === 1);
    const numIdx = dts.findIndex((d) => (d & 1) === 0);
    expect(cat).toBeGreaterThanOrEqual(0);
    expect(numIdx).toBeGreaterThanOrEqual(0);
    sfs[numIdx] = sfs[cat];
    const bad = text.replace(sfLine[0], `split_feature=${sfs.join(" ")}`);
    const featureNames = /feature_names=(.*)/.exec(text)![1].split(" ");
    const err = captureError(() => exportOnnx(bad)) as OnnxExportError;
    expect(err).toBeInstanceOf(OnnxExportError);
    expect(err.feature).toBe(featureNames[Number(sfs[cat])]);
    expect(err.message).toMatch(/both categorical and numerical splits/);
  });

  it("a feature with missing types Zero and NaN is refused, naming it", () => {
    const c = loadZooCase("zero_as_missing");
    const text = c.modelText;
    const tree0 = text.indexOf("Tree=0");
    const dtLine = /decision_type=(.*)/.exec(text.slice(tree0))!;
    const dts = dtLine[1].split(" ").map(Number);
    const sfs = /split_feature=(.*)/.exec(text.slice(tree0))![1].split(" ");
    // turn every other split on the first split's feature into missing type NaN
    const f = sfs[0];
    const j = sfs.findIndex((s, i) => i > 0 && s === f);
    expect((dts[0] >> 2) & 3).toBe(1);
    const changed = dts.map((d, i) => (i === j && j > 0 ? (d & ~12) | 8 : d));
    let bad = text.replace(dtLine[0], `decision_type=${changed.join(" ")}`);
    if (j <= 0) {
      // only one split on f in tree 0: put a NaN-typed split on f into tree 1 instead
      const t1 = bad.indexOf("Tree=1");
      const dt1 = /decision_type=(.*)/.exec(bad.slice(t1))!;
      const sf1 = /split_feature=(.*)/.exec(bad.slice(t1))!;
      const s1 = sf1[1].split(" ");
      s1[0] = f;
      const d1 = dt1[1].split(" ").map(Number);
      d1[0] = (d1[0] & ~12) | 8;
      bad =
        bad.slice(0, t1) +
        bad
          .slice(t1)
          .replace(sf1[0], `split_feature=${s1.join(" ")}`)
          .replace(dt1[0], `decision_type=${d1.join(" ")}`);
    }
    const featureNames = /feature_names=(.*)/.exec(text)![1].split(" ");
    const err = captureError(() => exportOnnx(withTreeSizes(bad))) as OnnxExportError;
    expect(err).toBeInstanceOf(OnnxExportError);
    expect(err.feature).toBe(featureNames[Number(f)]);
    expect(err.message).toMatch(/missing type Zero and splits with missing type NaN/);
  });

  it("malformed model text fails with the parser's error", () => {
    expect(() => exportOnnx("not a model")).toThrow(/not a LightGBM text model/);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

/** Rows mixing each feature's thresholds (and one ulp either side) with LightGBM's edge values. */
function adversarialRows(modelText: string, ncol: number, nrow: number, seed: number): Float64Array {
  const KZ = Math.fround(1e-35);
  const pools: number[][] = Array.from({ length: ncol }, () => [
    Number.NaN,
    0,
    -0,
    KZ,
    -KZ,
    KZ / 2,
    -KZ / 2,
    2 * KZ,
    -2 * KZ,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0.5,
    -1,
    1.5,
    2.99,
    3,
    31,
    32,
    33.7,
    1e300,
    -1e300,
  ]);
  const view = new DataView(new ArrayBuffer(8));
  const next = (x: number, dir: 1 | -1) => {
    if (!Number.isFinite(x) || x === 0) return x + dir * Number.MIN_VALUE;
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    view.setBigUint64(0, x > 0 === dir > 0 ? bits + 1n : bits - 1n);
    return view.getFloat64(0);
  };
  const blocks = modelText.split("Tree=").slice(1);
  for (const b of blocks) {
    const sf = /split_feature=(.*)/.exec(b);
    const th = /threshold=(.*)/.exec(b);
    const dt = /decision_type=(.*)/.exec(b);
    if (!sf || !th || !dt) continue;
    const f = sf[1].split(" ").map(Number);
    const t = th[1].split(" ").map(Number);
    const d = dt[1].split(" ").map(Number);
    for (let i = 0; i < f.length; i++) {
      if ((d[i] & 1) === 1) continue;
      pools[f[i]].push(t[i], next(t[i], 1), next(t[i], -1));
    }
  }
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const X = new Float64Array(nrow * ncol);
  for (let i = 0; i < X.length; i++) {
    const pool = pools[i % ncol];
    X[i] = pool[Math.floor(rand() * pool.length)];
  }
  return X;
}
