/**
 * Output transforms: the ConvertOutput of each LightGBM objective (src/objective/*.hpp), chosen from
 * the objective line of the model the way ObjectiveFunction::CreateObjectiveFunction does it.
 * Each transform works in place on `k` values at `out[off..off+k)`.
 */

export type Transform = (out: Float64Array, off: number, k: number) => void;

function objectiveParam(objectiveLine: string, key: string): string | undefined {
  for (const p of objectiveLine.split(/\s+/).slice(1)) {
    if (p.startsWith(`${key}:`)) return p.slice(key.length + 1);
  }
  return undefined;
}

/** null means identity (raw score is the output). */
export function transformFor(objectiveLine: string): Transform | null {
  const words = objectiveLine.trim().split(/\s+/);
  const name = words[0] ?? "";
  switch (name) {
    case "binary": {
      // BinaryLogloss::ConvertOutput: 1 / (1 + exp(-sigmoid * x))
      const sigmoid = Number(objectiveParam(objectiveLine, "sigmoid") ?? "1");
      const neg = -sigmoid;
      return (out, off) => {
        out[off] = 1 / (1 + Math.exp(neg * out[off]));
      };
    }
    case "multiclassova": {
      // MulticlassOVA::ConvertOutput: a binary sigmoid per class
      const sigmoid = Number(objectiveParam(objectiveLine, "sigmoid") ?? "1");
      const neg = -sigmoid;
      return (out, off, k) => {
        for (let i = 0; i < k; i++) out[off + i] = 1 / (1 + Math.exp(neg * out[off + i]));
      };
    }
    case "multiclass":
      // MulticlassSoftmax::ConvertOutput -> Common::Softmax
      return softmax;
    case "cross_entropy":
      return (out, off) => {
        out[off] = 1 / (1 + Math.exp(-out[off]));
      };
    case "cross_entropy_lambda":
      return (out, off) => {
        out[off] = Math.log1p(Math.exp(out[off]));
      };
    case "poisson":
    case "gamma":
    case "tweedie":
      return (out, off) => {
        out[off] = Math.exp(out[off]);
      };
    case "regression":
    case "regression_l1":
    case "quantile":
    case "huber":
    case "fair":
    case "mape":
      // RegressionL2loss::ConvertOutput (inherited by the other regression losses): with sqrt,
      // Common::Sign(x) * x * x
      if (words.includes("sqrt")) {
        return (out, off) => {
          const x = out[off];
          const sign = x > 0 ? 1 : x < 0 ? -1 : 0;
          out[off] = sign * x * x;
        };
      }
      return null;
    default:
      // lambdarank, rank_xendcg, custom, none: identity
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
    const e = Math.exp(out[off + i] - wmax);
    out[off + i] = e;
    wsum += e;
  }
  for (let i = 0; i < k; i++) out[off + i] /= wsum;
}
