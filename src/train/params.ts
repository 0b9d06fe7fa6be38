/**
 * LightGBM parameters as `key=value` pairs, joined into LightGBM's config string. Keys and values with
 * whitespace or `=` are refused: LightGBM splits its config string on whitespace and `=`, so such a
 * value could smuggle in another parameter.
 */
import { ValidationError } from "../errors.js";

export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue>;

const BAD = /[\s=]/;

/** Checks every key and value; returns them as strings (booleans as true/false, as LightGBM reads them). */
export function checkParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: { field: string; message: string }[] = [];
  for (const [key, raw] of Object.entries(params)) {
    const value =
      typeof raw === "string"
        ? raw
        : typeof raw === "number" || typeof raw === "boolean"
          ? String(raw)
          : undefined;
    if (key === "" || BAD.test(key)) {
      issues.push({
        field: `param ${JSON.stringify(key)}`,
        message: "a parameter name may not be empty or contain whitespace or '='",
      });
    } else if (value === undefined) {
      issues.push({
        field: `param ${key}`,
        message: `expected a string, number or boolean, got ${typeof raw}`,
      });
    } else if (value === "" || BAD.test(value)) {
      issues.push({
        field: `param ${key}`,
        message: `value ${JSON.stringify(value)} may not be empty or contain whitespace or '='`,
      });
    } else {
      out[key] = value;
    }
  }
  if (issues.length) throw new ValidationError(issues);
  return out;
}

/** Parses CLI `key=value` strings. */
export function parseParamArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0)
      throw new ValidationError([
        { field: "--param", message: `expected key=value, got ${JSON.stringify(arg)}` },
      ]);
    out[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return checkParams(out);
}

export function paramString(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** The value of a parameter under any of its names (LightGBM aliases). */
export function paramValue(params: Record<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) if (params[n] !== undefined) return params[n];
  return undefined;
}

export const ALIASES = {
  numIterations: [
    "num_iterations",
    "num_iteration",
    "n_iter",
    "num_tree",
    "num_trees",
    "num_round",
    "num_rounds",
    "nrounds",
    "num_boost_round",
    "n_estimators",
    "max_iter",
  ],
  objective: ["objective", "objective_type", "app", "application", "loss"],
  numClass: ["num_class", "num_classes"],
  numThreads: ["num_threads", "num_thread", "nthread", "nthreads", "n_jobs"],
  seed: ["seed", "random_seed", "random_state"],
  verbose: ["verbosity", "verbose"],
  categorical: [
    "categorical_feature",
    "cat_feature",
    "categorical_column",
    "cat_column",
    "categorical_features",
  ],
} as const;
