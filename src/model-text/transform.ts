/**
 * Output transforms: the ConvertOutput of each LightGBM objective (src/objective/*.hpp), chosen from
 * the objective line of the model the way ObjectiveFunction::CreateObjectiveFunction does it.
 * Each transform works in place on `k` values at `out[off..off+k)`.
 *
 * exp and log1p are glibc's (libm/), not the runtime's Math: LightGBM calls the C library, and V8's
 * Math.exp differs from glibc's in about 6% of inputs by one ulp, so Math would make the js and wasm
 * engines (and the browser) differ from LightGBM and from the native engine.
 */

import { exp } from "./libm/exp.js";
import { log1p } from "./libm/log1p.js";

export type Transform = (out: Float64Array, off: number, k: number) => void;

function objectiveParam(objectiveLine: string, key: string): string | undefined {
  for (const p of objectiveLine.split(/\s+/).slice(1)) {
    if (p.startsWith(`${key}:`)) return p.slice(key.length + 1);
  }
  return undefined;
}

/**
 * What an objective's ConvertOutput does, as data: the js engine compiles it to a function below, and
 * the native engine hands it to the addon's OutputConverter (native/output_converter.cc).
 */
export interface TransformSpec {
  kind: "identity" | "sigmoid" | "sigmoidPerClass" | "softmax" | "log1pExp" | "exp" | "signSquare";
  /** The sigmoid parameter of the sigmoid kinds (1 otherwise). */
  sigmoid: number;
}

export function transformSpec(objectiveLine: string): TransformSpec {
  const words = objectiveLine.trim().split(/\s+/);
  const sigmoid = () => Number(objectiveParam(objectiveLine, "sigmoid") ?? "1");
  switch (words[0] ?? "") {
    case "binary":
      // BinaryLogloss::ConvertOutput: 1 / (1 + exp(-sigmoid * x))
      return { kind: "sigmoid", sigmoid: sigmoid() };
    case "multiclassova":
      // MulticlassOVA::ConvertOutput: a binary sigmoid per class
      return { kind: "sigmoidPerClass", sigmoid: sigmoid() };
    case "multiclass":
      // MulticlassSoftmax::ConvertOutput -> Common::Softmax
      return { kind: "softmax", sigmoid: 1 };
    case "cross_entropy":
      return { kind: "sigmoid", sigmoid: 1 };
    case "cross_entropy_lambda":
      return { kind: "log1pExp", sigmoid: 1 };
    case "poisson":
    case "gamma":
    case "tweedie":
      return { kind: "exp", sigmoid: 1 };
    case "regression":
    case "regression_l1":
    case "quantile":
    case "huber":
    case "fair":
    case "mape":
      // RegressionL2loss::ConvertOutput (inherited by the other regression losses): with sqrt,
      // Common::Sign(x) * x * x
      return { kind: words.includes("sqrt") ? "signSquare" : "identity", sigmoid: 1 };
    default:
      // lambdarank, rank_xendcg, custom, none: identity
      return { kind: "identity", sigmoid: 1 };
  }
}

/** null means identity (raw score is the output). */
export function transformFor(objectiveLine: string): Transform | null {
  const { kind, sigmoid } = transformSpec(objectiveLine);
  const neg = -sigmoid;
  switch (kind) {
    case "sigmoid":
      return (out, off) => {
        out[off] = 1 / (1 + exp(neg * out[off]));
      };
    case "sigmoidPerClass":
      return (out, off, k) => {
        for (let i = 0; i < k; i++) out[off + i] = 1 / (1 + exp(neg * out[off + i]));
      };
    case "softmax":
      return softmax;
    case "log1pExp":
      return (out, off) => {
        out[off] = log1p(exp(out[off]));
      };
    case "exp":
      return (out, off) => {
        out[off] = exp(out[off]);
      };
    case "signSquare":
      return (out, off) => {
        const x = out[off];
        const sign = x > 0 ? 1 : x < 0 ? -1 : 0;
        out[off] = sign * x * x;
      };
    case "identity":
      return null;
  }
}

function softmax(out: Float64Array, off: number, k: number): void {
  let wmax = out[off];
  for (let i = 1; i < k; i++) {
    // std::max(input[i], wmax) is (input[i] < wmax) ? wmax : input[i] (matters for NaN)
    const v = out[off + i];
    // biome-ignore lint/complexity/useMathMinMax: Math.max would differ from std::max for NaN
    wmax = v < wmax ? wmax : v;
  }
  let wsum = 0;
  for (let i = 0; i < k; i++) {
    const e = exp(out[off + i] - wmax);
    out[off + i] = e;
    wsum += e;
  }
  for (let i = 0; i < k; i++) out[off + i] /= wsum;
}

/**
 * GBDT::Predict after the raw scores: random forests average over the iterations used (`average`, null for
 * boosted models), then the objective's ConvertOutput, row by row, in place.
 */
export function finishOutput(
  out: Float64Array,
  nrow: number,
  k: number,
  average: number | null,
  transform: Transform | null,
): Float64Array {
  if (average !== null) {
    for (let i = 0; i < nrow * k; i++) out[i] /= average;
  }
  if (transform !== null) {
    for (let r = 0, o = 0; r < nrow; r++, o += k) transform(out, o, k);
  }
  return out;
}
