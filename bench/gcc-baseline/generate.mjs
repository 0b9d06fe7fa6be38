// The gcc -O2 baseline of the compiled engine's bench: a LightGBM model turned into C, one if/else per
// node (what treelite's and lleaves' C backends do), compiled at bench time. Never shipped: the point is
// to know what plain compiled code reaches on this machine for this model.
//
//   node bench/gcc-baseline/generate.mjs model.txt > model.c
//
// The code computes what the packed-tree kernel computes (GBDT::PredictRaw, then ConvertOutput with
// glibc's libm) from the same validated IR (src/model-text), so its outputs are LightGBM's bit for bit;
// the bench checks that before timing.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { parseModel } = await import(join(root, "dist/model-text/parse.js"));
const { buildLayout, KIND_CATEGORICAL, KIND_NUM_NAN_LEFT, KIND_NUM_NAN_RIGHT, KIND_ZERO_LEFT } = await import(
  join(root, "dist/model-text/layout.js")
);
const { transformSpec } = await import(join(root, "dist/model-text/transform.js"));

/** An exact C double literal (JS's shortest round-trip decimal; C compilers round decimals correctly). */
function lit(v) {
  if (Number.isNaN(v)) return "NAN";
  if (v === Number.POSITIVE_INFINITY) return "INFINITY";
  if (v === Number.NEGATIVE_INFINITY) return "(-INFINITY)";
  if (Object.is(v, -0)) return "(-0.0)";
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function generateC(text) {
  const model = parseModel(text);
  if (model.trees.some((t) => t.isLinear)) throw new Error("linear trees are not in the C baseline");
  const L = buildLayout(model);
  const k = model.numTreePerIteration;
  const out = [];
  out.push("#include <math.h>", "#include <stdint.h>", "");
  out.push(`const int kNumFeatures = ${L.numFeatures}, kNumOutputs = ${k};`, "");
  out.push(`static const double KZ = ${lit(Math.fround(1e-35))};`);
  out.push("static inline int zero_or_nan(double v) { return isnan(v) || (v >= -KZ && v <= KZ); }");
  out.push(
    "static inline int in_bitset(double v, const uint32_t* bits, int words) {",
    "  if (!(v > -1.0 && v < 2147483648.0)) return 0;",
    "  uint32_t iv = (uint32_t)(int32_t)v;",
    "  return (int)(iv >> 5) < words && ((bits[iv >> 5] >> (iv & 31)) & 1);",
    "}",
  );
  if (L.catBits.length > 0)
    out.push(`static const uint32_t CAT[${L.catBits.length}] = {${[...L.catBits].join(",")}};`);
  out.push("");
  const cond = (n) => {
    const x = `x[${L.feat[n]}]`;
    const t = lit(L.thr[n]);
    switch (L.kind[n]) {
      case KIND_NUM_NAN_RIGHT:
        return `${x} <= ${t}`;
      case KIND_NUM_NAN_LEFT:
        return `!(${x} > ${t})`;
      case KIND_CATEGORICAL:
        return `in_bitset(${x}, CAT + ${L.catStart[n]}, ${L.catWords[n]})`;
      default:
        return `(zero_or_nan(${x}) ? ${L.kind[n] === KIND_ZERO_LEFT ? 1 : 0} : ${x} <= ${t})`;
    }
  };
  for (let t = 0; t < L.numTrees; t++) {
    out.push(`static double tree${t}(const double* x) {`);
    const emit = (c, ind) => {
      const pad = "  ".repeat(ind);
      if (c < 0) {
        out.push(`${pad}return ${lit(L.leafValue[~c])};`);
        return;
      }
      out.push(`${pad}if (${cond(c)}) {`);
      emit(L.left[c], ind + 1);
      out.push(`${pad}} else {`);
      emit(L.right[c], ind + 1);
      out.push(`${pad}}`);
    };
    emit(L.root[t], 1);
    out.push("}");
  }
  out.push("", "void predict_raw(const double* x, double* out) {");
  for (let c = 0; c < k; c++) out.push(`  double s${c} = 0.0;`);
  for (let t = 0; t < L.numTrees; t++) out.push(`  s${t % k} += tree${t}(x);`);
  for (let c = 0; c < k; c++) out.push(`  out[${c}] = s${c};`);
  out.push("}", "");
  // GBDT::Predict: average for random forests, then the objective's ConvertOutput (as native/output_converter.cc)
  const spec = model.objective === "" ? { kind: "identity", sigmoid: 1 } : transformSpec(model.objectiveLine);
  out.push("void predict(const double* x, double* out) {", "  predict_raw(x, out);");
  if (model.averageOutput) out.push(`  for (int c = 0; c < ${k}; c++) out[c] /= ${lit(L.numTrees / k)};`);
  const s = lit(-spec.sigmoid);
  switch (spec.kind) {
    case "sigmoid":
      out.push(`  out[0] = 1.0 / (1.0 + exp(${s} * out[0]));`);
      break;
    case "sigmoidPerClass":
      out.push(`  for (int c = 0; c < ${k}; c++) out[c] = 1.0 / (1.0 + exp(${s} * out[c]));`);
      break;
    case "softmax":
      out.push(
        `  double wmax = out[0];`,
        `  for (int c = 1; c < ${k}; c++) wmax = out[c] < wmax ? wmax : out[c];`,
        "  double wsum = 0.0;",
        `  for (int c = 0; c < ${k}; c++) { out[c] = exp(out[c] - wmax); wsum += out[c]; }`,
        `  for (int c = 0; c < ${k}; c++) out[c] /= wsum;`,
      );
      break;
    case "log1pExp":
      out.push("  out[0] = log1p(exp(out[0]));");
      break;
    case "exp":
      out.push("  out[0] = exp(out[0]);");
      break;
    case "signSquare":
      out.push("  { double v = out[0]; out[0] = (double)((v > 0) - (v < 0)) * v * v; }");
      break;
  }
  out.push("}", "");
  return out.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(generateC(readFileSync(process.argv[2], "utf8")));
}
