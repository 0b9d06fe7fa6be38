// The engines the bench compares, built from dist/ (npm run build:ts), and the checks that their
// outputs agree before anything is timed.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { root } from "./models.mjs";

const dist = (p) => join(root, "dist", p);

/** Tolerance of the onnx engine's raw scores against native (the export is double precision). */
export const ONNX_RAW_TOL = 1e-9;

/**
 * Every engine variant: native with 1 thread (with and without the packed-tree kernel) and all threads, js, onnx with 1 thread and all threads.
 * `row` is the engine's fastest single-row call (out buffer where the engine takes one).
 */
export async function buildEngines(modelFile, text) {
  const { NativeEngine } = await import(dist("engines/native.js"));
  const { JsEngine } = await import(dist("engines/js/index.js"));
  const { OnnxEngine } = await import(dist("engines/onnx/engine.js"));
  const all = availableParallelism();
  const variants = [];
  const add = (name, engine, threads, note) => variants.push({ name, engine, threads, note });
  add(
    "native-1t",
    NativeEngine.fromFile(modelFile, { numThreads: 1 }),
    1,
    "addon: packed-tree kernel (1-thread calls, single rows)",
  );
  add(
    "native-1t-lightgbm",
    NativeEngine.fromFile(modelFile, { numThreads: 1, packedTrees: false }),
    1,
    "addon: LightGBM C API only",
  );
  add(
    `native-${all}t`,
    NativeEngine.fromFile(modelFile, { numThreads: all }),
    all,
    "addon: LightGBM C API (single rows: packed-tree kernel)",
  );
  add("js", JsEngine.fromString(text), 1, "pure TypeScript");
  add("onnx-1t", await OnnxEngine.fromString(text, { numThreads: 1 }), 1, "onnxruntime-node, sync run");
  add(
    `onnx-${all}t`,
    await OnnxEngine.fromString(text, { numThreads: all }),
    all,
    "onnxruntime-node, sync run",
  );
  for (const v of variants) {
    const e = v.engine;
    const width = e.outputWidth({});
    const out = new Float64Array(width);
    v.batch = (data, nrow) => e.predict(data, nrow);
    v.row = e.name === "onnx" ? (row) => e.predictRow(row) : (row) => e.predictRow(row, {}, out);
  }
  return variants;
}

export function disposeAll(variants) {
  for (const v of variants) v.engine.dispose();
}

function compare(a, b) {
  let identical = 0;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) {
      identical++;
      continue;
    }
    const d = Math.abs(a[i] - b[i]);
    const dd = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    maxAbs = Math.max(maxAbs, dd);
    maxRel = Math.max(maxRel, dd / Math.max(1, Math.abs(b[i])));
  }
  return { identical: identical / a.length, maxAbs, maxRel };
}

/**
 * Every engine against native-1t on `nrow` rows, raw and normal. js must be bit-identical on raw; onnx
 * within ONNX_RAW_TOL. Returns the numbers; `ok` false when an engine disagrees.
 */
export function checkAgreement(variants, data, nrow) {
  const ref = variants[0].engine;
  const refRaw = ref.predict(data, nrow, { type: "raw" });
  const refNormal = ref.predict(data, nrow);
  const rows = [];
  let ok = true;
  for (const v of variants.slice(1)) {
    const raw = compare(v.engine.predict(data, nrow, { type: "raw" }), refRaw);
    const normal = compare(v.engine.predict(data, nrow), refNormal);
    let pass;
    let rule;
    if (v.engine.name === "js") {
      rule = "raw bit-identical";
      pass = raw.identical === 1;
    } else if (v.engine.name === "onnx") {
      rule = `raw within ${ONNX_RAW_TOL}`;
      pass = raw.maxAbs <= ONNX_RAW_TOL && normal.maxAbs <= ONNX_RAW_TOL;
    } else {
      rule = "raw bit-identical";
      pass = raw.identical === 1;
    }
    ok &&= pass;
    rows.push({ engine: v.name, rule, pass, raw, normal });
  }
  return { ok, rows };
}
