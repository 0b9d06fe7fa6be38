// The contenders of the engine bench, on one model: the SDK's engines (built from dist/) and two baselines
// in their own processes (LightGBM's C API called from C++, and the model compiled to C with gcc -O2), all
// behind one timing interface, plus the agreement checks that run before anything is timed.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { startExternal } from "./external.mjs";
import { buildGccBaseline, gccAvailable, startGccBaseline } from "./gcc-baseline.mjs";
import { root } from "./models.mjs";

const dist = (p) => join(root, "dist", p);

/** Tolerance of the onnx engine's raw scores against LightGBM (the export is double precision). */
export const ONNX_RAW_TOL = 1e-9;
/** Distinct rows the single-row calls cycle through (a repeated row lets the branch predictor learn it). */
export const ROW_CYCLE = 1024;
/**
 * Batches of 2 .. MAX_CYCLED rows take the next window of n rows among the first ROW_CYCLE on every call,
 * for the same reason: the same 10 rows on every call are learnt too (LightGBM's 10-row batches then ran
 * 2.3x its 100-row ones). `time(n, reps, { same: true })` repeats the first n rows instead.
 */
export const MAX_CYCLED = 100;
const windowsOf = (n, same) => (same || n > MAX_CYCLED ? 1 : Math.floor(ROW_CYCLE / n));

/**
 * Every contender: `time(n, reps)` runs reps batch calls of n rows (n = 1: reps passes of single-row calls
 * over ROW_CYCLE distinct rows) and resolves with the seconds taken; rows(n, reps) is what that covered.
 */
export async function buildContenders({ modelFile, text, data, dataFile, nrow, quick, log }) {
  const { NativeEngine } = await import(dist("engines/native.js"));
  const { WasmEngine } = await import(dist("engines/wasm/index.js"));
  const { JsEngine } = await import(dist("engines/js/index.js"));
  const { OnnxEngine } = await import(dist("engines/onnx/engine.js"));
  const { nodeThreadHost } = await import(dist("compiled/pool-node.js"));
  const two = availableParallelism() >= 2;
  const list = [];
  const engine = (name, e, threads, note) => {
    const ncol = e.info.numFeatures;
    const rows = Array.from({ length: ROW_CYCLE }, (_, r) => data.subarray(r * ncol, (r + 1) * ncol));
    const out = new Float64Array(e.outputWidth({}));
    const row = e.name === "onnx" ? (r) => e.predictRow(r) : (r) => e.predictRow(r, {}, out);
    list.push({
      name,
      threads,
      note,
      engine: e,
      async time(n, reps, { same = false } = {}) {
        const windows = windowsOf(n, same);
        const views = Array.from({ length: windows }, (_, w) =>
          data.subarray(w * n * ncol, (w + 1) * n * ncol),
        );
        const opts = { numThreads: threads };
        const t0 = performance.now();
        if (n === 1) {
          for (let p = 0; p < reps; p++) for (let i = 0; i < ROW_CYCLE; i++) row(rows[i]);
        } else {
          for (let p = 0; p < reps; p++) e.predict(views[p % windows], n, opts);
        }
        return (performance.now() - t0) / 1000;
      },
    });
  };
  engine(
    "native-1t",
    NativeEngine.fromFile(modelFile, { numThreads: 1 }),
    1,
    "default engine: the compiled model (WebAssembly; big models walked by the addon's AVX-512/AVX2 kernel) + glibc transforms in the addon",
  );
  if (two)
    engine(
      "native-2t",
      NativeEngine.fromFile(modelFile, { numThreads: 2 }),
      2,
      "the same, 2 threads (the caller + 1 worker)",
    );
  engine(
    "native-lightgbm-1t",
    NativeEngine.fromFile(modelFile, { numThreads: 1, compiled: false }),
    1,
    "LightGBM's C API through the addon",
  );
  engine("wasm-1t", WasmEngine.fromString(text), 1, "the compiled model without the addon (browsers)");
  if (two)
    engine(
      "wasm-2t",
      WasmEngine.fromString(text, { numThreads: 2, threadHost: nodeThreadHost }),
      2,
      "the same, 2 threads",
    );
  engine("js", JsEngine.fromString(text), 1, "pure TypeScript tree walk");
  engine(
    "onnx-1t",
    await OnnxEngine.fromString(text, { numThreads: 1 }),
    1,
    "onnxruntime-node, double export",
  );
  if (two)
    engine("onnx-2t", await OnnxEngine.fromString(text, { numThreads: 2 }), 2, "onnxruntime-node, 2 threads");

  const direct = join(root, "build/Release/direct_bench");
  const ncol = list[0].engine.info.numFeatures;
  const capi = startExternal(direct, [modelFile, dataFile, String(ncol), String(nrow)]);
  const external = (name, threads, note, proc, request) =>
    list.push({
      name,
      threads,
      note,
      external: proc,
      async time(n, reps, { same = false } = {}) {
        const cycle = windowsOf(n, same) > 1 ? ` ${ROW_CYCLE}` : "";
        return (await proc.request(`${request(n, reps)}${n > 1 ? cycle : ""}`)).seconds;
      },
    });
  external(
    "capi-1t",
    1,
    "LightGBM's C API from C++ (PredictForMat; single rows: SingleRowFast)",
    capi,
    (n, reps) => (n === 1 ? `row ${reps} ${ROW_CYCLE}` : `batch ${reps} 1 ${n}`),
  );
  if (two)
    external("capi-2t", 2, "the same, num_threads=2 (single rows: one thread)", capi, (n, reps) =>
      n === 1 ? `row ${reps} ${ROW_CYCLE}` : `batch ${reps} 2 ${n}`,
    );
  let gcc;
  if (gccAvailable()) {
    const { bin, compileSeconds } = await buildGccBaseline(modelFile, { log });
    gcc = { bin, compileSeconds, proc: startGccBaseline(bin, dataFile, nrow) };
    external("gcc-O2", 1, "the model as if/else C code, gcc -O2 (bench/gcc-baseline)", gcc.proc, (n, reps) =>
      n === 1 ? `row ${reps} ${ROW_CYCLE}` : `batch ${reps} ${n}`,
    );
  } else if (!quick) {
    log("gcc is not installed: the gcc -O2 baseline is skipped");
  }
  return { list, gcc, capi };
}

export function disposeAll({ list, capi, gcc }) {
  for (const c of list) c.engine?.dispose();
  capi.close();
  gcc?.proc.close();
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
    maxRel = Math.max(maxRel, dd / Math.max(Math.abs(a[i]), Math.abs(b[i])));
  }
  return { identical: identical / a.length, maxAbs, maxRel };
}

/** Doubles from the harness's hex bit patterns. */
function fromHex(words) {
  const view = new DataView(new ArrayBuffer(8));
  return words.map((w) => {
    view.setBigUint64(0, BigInt(`0x${w}`));
    return view.getFloat64(0);
  });
}

/**
 * Every contender against LightGBM (native-lightgbm-1t, i.e. the C API) on `nrow` rows, raw and normal:
 * native must be bit-identical on both, wasm and js on raw (their transforms use the runtime's Math), the
 * gcc baseline on both, onnx within ONNX_RAW_TOL. `ok` is false when one disagrees.
 */
export async function checkAgreement(contenders, data, nrow) {
  const ref = contenders.list.find((c) => c.name === "native-lightgbm-1t").engine;
  const k = ref.outputWidth({});
  const refRaw = ref.predict(data, nrow, { type: "raw" });
  const refNormal = ref.predict(data, nrow);
  const rows = [];
  for (const c of contenders.list) {
    if (c.name === "native-lightgbm-1t" || c.name.startsWith("capi")) continue;
    let raw;
    let normal;
    if (c.engine) {
      raw = compare(c.engine.predict(data, nrow, { type: "raw" }), refRaw);
      normal = compare(c.engine.predict(data, nrow), refNormal);
    } else {
      const n = Math.min(nrow, 2000);
      const lines = await c.external.until(`dump ${n}`, "end");
      const vals = lines.map((l) => fromHex(l.trim().split(" ")));
      raw = compare(Float64Array.from(vals.flatMap((v) => v.slice(0, k))), refRaw.subarray(0, n * k));
      normal = compare(Float64Array.from(vals.flatMap((v) => v.slice(k))), refNormal.subarray(0, n * k));
    }
    const name = c.engine?.name ?? "external";
    let rule;
    let pass;
    if (name === "onnx") {
      rule = `raw within ${ONNX_RAW_TOL}`;
      pass = raw.maxAbs <= ONNX_RAW_TOL && normal.maxAbs <= ONNX_RAW_TOL;
    } else {
      rule = "raw and normal bit-identical";
      pass = raw.identical === 1 && normal.identical === 1;
    }
    rows.push({ engine: c.name, rule, pass, raw, normal });
  }
  return { ok: rows.every((r) => r.pass), rows };
}
