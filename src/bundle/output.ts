/**
 * The output transform: the engine's flat Float64Array → named results, and SHAP contributions →
 * per-field explanations (one-hot columns summed back into their field).
 */
import type { Spec, Task } from "./spec.js";
import { fieldWidth } from "./spec.js";

// Type aliases rather than interfaces, so results are assignable to Record<string, unknown>.
export type BinaryResult = {
  /** 1 when probability >= 0.5. */
  prediction: 0 | 1;
  /** Probability of class 1. */
  probability: number;
};

export type MulticlassResult = {
  /** The most probable class: its label from the spec (target.classes), else its index. */
  prediction: string | number;
  /** One probability per class, in class order. */
  probabilities: number[];
};

export type RegressionResult = {
  value: number;
};

export type PredictionResult = BinaryResult | MulticlassResult | RegressionResult;

/**
 * The result of one record for a task: `ResultOf<"binary">` is BinaryResult; `ResultOf<Task>` (a model
 * whose task is not known when the program is compiled) is the union, PredictionResult.
 */
export type ResultOf<T extends Task> = T extends "binary"
  ? BinaryResult
  : T extends "multiclass"
    ? MulticlassResult
    : RegressionResult;

export interface Contribution {
  field: string;
  value: number;
}

export interface Explanation {
  /** Expected raw score (log-odds for binary) over the training data. */
  baseValue: number;
  /** Per-field SHAP values in raw-score space, sorted by |value|, largest first. */
  contributions: Contribution[];
}

export interface ClassExplanation extends Explanation {
  class: string | number;
}

/** Multiclass: one explanation per class, in class order. */
export type MulticlassExplanation = { classes: ClassExplanation[] };

/** Binary and regression: one explanation; multiclass: one per class, in class order. */
export type ExplainResult = Explanation | MulticlassExplanation;

/** The explanation of one record for a task (the union, ExplainResult, for `Task`). */
export type ExplanationOf<T extends Task> = T extends "multiclass" ? MulticlassExplanation : Explanation;

// Narrowing helpers, for code that handles models of any task (their results are PredictionResult).
// The JSON of a result carries no task field (the server's classic /predict body is unchanged), so
// these test the shape; TypeScript's `"probability" in result` narrows the same way.

/** A binary result: `{ prediction: 0 | 1, probability }`. */
export function isBinary(result: PredictionResult): result is BinaryResult {
  return typeof (result as BinaryResult).probability === "number";
}

/** A multiclass result: `{ prediction, probabilities }`. */
export function isMulticlass(result: PredictionResult): result is MulticlassResult {
  return Array.isArray((result as MulticlassResult).probabilities);
}

/** A regression result (every objective but binary and multiclass): `{ value }`. */
export function isRegression(result: PredictionResult): result is RegressionResult {
  return typeof (result as RegressionResult).value === "number";
}

/** A multiclass explanation (one per class) rather than a single one. */
export function hasClasses(explanation: ExplainResult): explanation is MulticlassExplanation {
  return Array.isArray((explanation as MulticlassExplanation).classes);
}

export class OutputTransform {
  readonly #task: Spec["task"];
  readonly #classes: (string | number)[] | undefined;
  readonly #numClasses: number;
  readonly #fieldOfColumn: Int32Array;
  readonly #fieldNames: string[];

  constructor(spec: Spec, numClasses: number) {
    this.#task = spec.task;
    this.#classes = spec.target?.classes;
    this.#numClasses = numClasses;
    this.#fieldNames = spec.fields.map((f) => f.name);
    this.#fieldOfColumn = new Int32Array(spec.columns.length);
    let col = 0;
    spec.fields.forEach((f, i) => {
      for (let k = 0; k < fieldWidth(f); k++) this.#fieldOfColumn[col++] = i;
    });
  }

  classLabel(k: number): string | number {
    return this.#classes?.[k] ?? k;
  }

  /** Named results for `nrow` rows of a "normal" prediction output. */
  toResults(output: Float64Array, nrow: number): PredictionResult[] {
    const k = this.#numClasses;
    if (output.length !== nrow * k) {
      throw new RangeError(`output has ${output.length} values, expected ${nrow} rows of ${k}`);
    }
    const results: PredictionResult[] = new Array(nrow);
    switch (this.#task) {
      case "binary":
        for (let r = 0; r < nrow; r++) {
          const p = output[r];
          results[r] = { prediction: p >= 0.5 ? 1 : 0, probability: p };
        }
        break;
      case "multiclass":
        for (let r = 0; r < nrow; r++) {
          const probabilities = new Array<number>(k);
          let best = 0;
          for (let c = 0; c < k; c++) {
            probabilities[c] = output[r * k + c];
            if (probabilities[c] > probabilities[best]) best = c;
          }
          results[r] = { prediction: this.classLabel(best), probabilities };
        }
        break;
      default:
        for (let r = 0; r < nrow; r++) results[r] = { value: output[r * k] };
    }
    return results;
  }

  /** One row's "contrib" output (numTreePerIteration blocks of ncol + 1) → per-field explanations. */
  explain(contrib: Float64Array): ExplainResult {
    const ncol = this.#fieldOfColumn.length;
    const blocks = contrib.length / (ncol + 1);
    if (!Number.isInteger(blocks) || blocks < 1) {
      throw new RangeError(`contrib output has ${contrib.length} values, not a multiple of ${ncol + 1}`);
    }
    const one = (b: number): Explanation => {
      const sums = new Float64Array(this.#fieldNames.length);
      const off = b * (ncol + 1);
      for (let c = 0; c < ncol; c++) sums[this.#fieldOfColumn[c]] += contrib[off + c];
      const contributions = this.#fieldNames.map((field, i) => ({ field, value: sums[i] }));
      contributions.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
      return { baseValue: contrib[off + ncol], contributions };
    };
    if (this.#task !== "multiclass") return one(0);
    return { classes: Array.from({ length: blocks }, (_, b) => ({ class: this.classLabel(b), ...one(b) })) };
  }
}
