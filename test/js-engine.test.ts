/**
 * JsEngine's API contract: argument checks (as the native engine does them), dispose, async,
 * output widths, iteration ranges with LightGBM's clamping, the optional output buffer, and the
 * browser-safety of the `lightgbm-node/js` entry (no `node:` import anywhere in its import graph).
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { iterationRange } from "../src/engines/engine.js";
import { DisposedError, LightGBMError } from "../src/errors.js";
import { JsEngine, parseModelHeader } from "../src/js.js";
import { firstNotIdentical, loadZoo } from "./js-fixtures.js";

const multiclass = loadZoo("multiclass");
const rf = loadZoo("rf");

describe("JsEngine API", () => {
  const engine = JsEngine.fromString(multiclass.modelText);
  const nf = engine.info.numFeatures;

  it("fills ModelInfo from the model", () => {
    expect(engine.name).toBe("js");
    expect(engine.info).toEqual({
      numFeatures: 6,
      featureNames: ["Column_0", "Column_1", "Column_2", "Column_3", "Column_4", "Column_5"],
      numClasses: 3,
      numTreePerIteration: 3,
      numIterations: 8,
      objective: "multiclass",
      objectiveLine: "multiclass num_class:3",
    });
  });

  it("outputWidth follows LightGBM's CalcNumPredict", () => {
    expect(engine.outputWidth()).toBe(3);
    expect(engine.outputWidth({ type: "raw" })).toBe(3);
    expect(engine.outputWidth({ type: "leaf" })).toBe(24);
    expect(engine.outputWidth({ type: "leaf", startIteration: 6 })).toBe(6);
    expect(engine.outputWidth({ type: "contrib" })).toBe(3 * 7);
    for (const type of ["normal", "raw", "leaf", "contrib"] as const) {
      const opts = { type, startIteration: 2, numIterations: 3 };
      expect(engine.predict(multiclass.X.subarray(0, 4 * nf), 4, opts).length).toBe(
        4 * engine.outputWidth(opts),
      );
      expect(engine.predictRow(multiclass.X.subarray(0, nf), opts).length).toBe(engine.outputWidth(opts));
    }
  });

  it("rejects bad arguments like the native engine", () => {
    const X = multiclass.X.subarray(0, 2 * nf);
    expect(() => engine.predict([1, 2, 3] as unknown as Float64Array, 1)).toThrow(TypeError);
    expect(() => engine.predict(new Float32Array(nf) as unknown as Float64Array, 1)).toThrow(
      /data must be a Float64Array/,
    );
    expect(() => engine.predict(X, 3)).toThrow(RangeError);
    expect(() => engine.predict(X, 1)).toThrow(RangeError);
    expect(() => engine.predict(X, -1)).toThrow(RangeError);
    expect(() => engine.predict(X, 1.5)).toThrow(RangeError);
    expect(() => engine.predictRow(new Float64Array(nf + 1))).toThrow(RangeError);
    expect(() => engine.predictRow(null as unknown as Float64Array)).toThrow(/row must be a Float64Array/);
    expect(() => engine.predict(X, 2, { type: "shap" as "raw" })).toThrow(RangeError);
    expect(() => engine.predict(X, 2, { startIteration: 0.5 })).toThrow(TypeError);
    expect(() => engine.predictRow(X.subarray(0, nf), {}, new Float64Array(2))).toThrow(RangeError);
    expect(() => engine.predictRow(X.subarray(0, nf), {}, [0, 0, 0] as unknown as Float64Array)).toThrow(
      TypeError,
    );
    expect(() => JsEngine.fromString(42 as unknown as string)).toThrow(TypeError);
  });

  it("accepts zero rows", () => {
    expect(engine.predict(new Float64Array(0), 0).length).toBe(0);
    expect(engine.predict(new Float64Array(0), 0, { type: "contrib" }).length).toBe(0);
  });

  it("predictRow can write into a caller's buffer", () => {
    const row = multiclass.X.subarray(nf, 2 * nf);
    for (const type of ["normal", "raw", "leaf", "contrib"] as const) {
      const out = new Float64Array(engine.outputWidth({ type })).fill(123);
      const got = engine.predictRow(row, { type }, out);
      expect(got).toBe(out);
      expect(firstNotIdentical(out, engine.predictRow(row, { type }))).toBe(-1);
      // reuse: the second call overwrites (contrib accumulates, so it must start from zero)
      engine.predictRow(row, { type }, out);
      expect(firstNotIdentical(out, engine.predictRow(row, { type }))).toBe(-1);
    }
  });

  it("predictAsync resolves to predict's result, and rejects on bad input", async () => {
    const want = engine.predict(multiclass.X, multiclass.nrow, { type: "raw" });
    const got = await engine.predictAsync(multiclass.X, multiclass.nrow, { type: "raw" });
    expect(firstNotIdentical(got, want)).toBe(-1);
    await expect(engine.predictAsync(multiclass.X, 1)).rejects.toThrow(RangeError);
  });

  it("throws after dispose (dispose itself is idempotent)", async () => {
    const e = JsEngine.fromString(multiclass.modelText);
    e.dispose();
    e.dispose();
    expect(() => e.predict(multiclass.X, multiclass.nrow)).toThrow(DisposedError);
    expect(() => e.predict(multiclass.X, multiclass.nrow)).toThrow(/disposed/);
    expect(() => e.predictRow(multiclass.X.subarray(0, nf))).toThrow(/disposed/);
    expect(() => e.outputWidth()).toThrow(/disposed/);
    await expect(e.predictAsync(multiclass.X, multiclass.nrow)).rejects.toThrow(/disposed/);
  });
});

describe("errors are the SDK's error classes", () => {
  it("contributions on linear trees: LightGBM's own refusal, as a LightGBMError", () => {
    const lin = loadZoo("linear");
    const e = JsEngine.fromString(lin.modelText);
    expect(() => e.predict(lin.X, lin.nrow, { type: "contrib" })).toThrow(LightGBMError);
    expect(() => e.predictRow(lin.X.subarray(0, lin.ncol), { type: "contrib" })).toThrow(/linear trees/);
  });

  it("ModelParseError has a stable code and the line", () => {
    try {
      JsEngine.fromString("tree\nversion=v4\n");
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe("ERR_MODEL_PARSE");
      expect((err as { line: number }).line).toBe(2);
    }
  });
});

describe("iteration ranges (GBDT::InitPredict clamping)", () => {
  it("start beyond the end, negative start, numIterations <= 0 or too large", () => {
    const engine = JsEngine.fromString(multiclass.modelText);
    const X = multiclass.X;
    const n = multiclass.nrow;
    const all = engine.predict(X, n, { type: "raw" });
    expect(firstNotIdentical(engine.predict(X, n, { type: "raw", numIterations: 0 }), all)).toBe(-1);
    expect(firstNotIdentical(engine.predict(X, n, { type: "raw", numIterations: -1 }), all)).toBe(-1);
    expect(firstNotIdentical(engine.predict(X, n, { type: "raw", numIterations: 1000 }), all)).toBe(-1);
    expect(() => engine.predict(X, n, { type: "raw", startIteration: -5 })).toThrow(RangeError);
    // start at the end: no tree at all
    const none = engine.predict(X, n, { type: "raw", startIteration: 100 });
    expect(none.every((v) => Object.is(v, 0))).toBe(true);
    expect(engine.predict(X, n, { type: "leaf", startIteration: 100 }).length).toBe(0);
    expect(engine.predict(X, n, { type: "contrib", startIteration: 100 }).every((v) => v === 0)).toBe(true);
    // softmax of zeros
    expect(engine.predict(X.subarray(0, 6), 1, { startIteration: 100 })[0]).toBe(1 / 3);
    expect(iterationRange(8, 100, 3)).toEqual({ start: 8, count: 0 });
  });

  it("random forests average over the iterations used", () => {
    const engine = JsEngine.fromString(rf.modelText);
    const k = 4;
    const raw = engine.predict(rf.X, rf.nrow, { type: "raw", startIteration: 3, numIterations: k });
    const normal = engine.predict(rf.X, rf.nrow, { startIteration: 3, numIterations: k });
    for (let i = 0; i < raw.length; i++) expect(normal[i]).toBe(raw[i] / k);
  });
});

describe("parseModelHeader", () => {
  it("gives the native engine what it needs from the text before Tree=0", () => {
    const h = parseModelHeader(loadZoo("multiclassova").modelText);
    expect(h.objective).toBe("multiclassova");
    expect(h.objectiveLine).toBe("multiclassova num_class:3 sigmoid:1.5");
    expect(h.numClass).toBe(3);
    expect(h.numTreePerIteration).toBe(3);
    expect(h.maxFeatureIdx).toBe(5);
    expect(h.featureNames.length).toBe(6);
  });
});

describe("the lightgbm-node/js entry is browser-safe", () => {
  // zod (spec.json and record validation) is the one package it imports: test/browser-entry.test.ts
  // bundles the whole graph, packages included, for the browser platform.
  it("no module in its import graph imports node: or a package other than zod", () => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
    const seen = new Set<string>();
    const queue = [join(root, "src/js.ts")];
    const importRe = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      // code only: comments may show usage examples
      const src = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      for (const m of src.matchAll(importRe)) {
        const spec = m[1] ?? m[2];
        if (spec === "zod") continue;
        expect(spec.startsWith("."), `${file} imports "${spec}"`).toBe(true);
        queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      }
      expect(src, file).not.toMatch(/["']node:|\brequire\(|\bprocess\.|\bBuffer\b/);
    }
    expect(seen.size).toBeGreaterThanOrEqual(8);
  });
});
