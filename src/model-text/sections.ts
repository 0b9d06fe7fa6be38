/**
 * The parts of a model text after its trees that the bundle layer reads (src/bundle/pandas.ts, `lgbm
 * bundle`): the parameters section, and what LightGBM's Python package appends.
 *
 * - `pandas_categorical:[[...], ...]`: appended by the Python package after the model (basic.py
 *   `_dump_pandas_categorical`): one list per `category` column of the training DataFrame, in the
 *   DataFrame's column order; category i of a list is code i. Read as `_load_pandas_categorical` reads
 *   it: the last line of the text, or the one before it.
 * - `[categorical_feature: ...]` in the parameters section: the features LightGBM split as categories
 *   (indices, or `name:a,b` as given); without a parameters section, the features whose
 *   `feature_infos` entry is a category list (`-1:0:2`) rather than a range (`[0:1]`).
 * - The parameters section itself (`parameters:` ... `end of parameters`, one `[key: value]` a line).
 *
 * No `node:` imports: this module is part of the browser-safe model-text layer.
 */
import { ModelParseError } from "./errors.js";

const PANDAS_KEY = "pandas_categorical:";

/**
 * The pandas_categorical lists of a model text (or of its last lines), each value as text: strings as
 * they are, numbers as JavaScript writes them (`3`, `0.5`), booleans as pandas writes them (`True`).
 * null when the text has no such line or it says `null`.
 */
export function readPandasCategorical(text: string): string[][] | null {
  const found = lastLines(text, 2).find((l) => l.text.startsWith(PANDAS_KEY));
  if (found === undefined) return null;
  const lineNo = () => lineOf(text, found.at);
  let json: unknown;
  try {
    json = JSON.parse(found.text.slice(PANDAS_KEY.length));
  } catch (err) {
    throw new ModelParseError(`pandas_categorical: not valid JSON (${(err as Error).message})`, lineNo());
  }
  if (json === null) return null;
  if (!Array.isArray(json) || !json.every(Array.isArray)) {
    throw new ModelParseError("pandas_categorical: expected a list of category lists", lineNo());
  }
  return (json as unknown[][]).map((list, i) =>
    list.map((v) => {
      if (typeof v === "string") return v;
      if (typeof v === "number" && Number.isFinite(v)) return String(v);
      if (typeof v === "boolean") return v ? "True" : "False";
      throw new ModelParseError(
        `pandas_categorical: list ${i} holds ${JSON.stringify(v)}, which is not a category value`,
        lineNo(),
      );
    }),
  );
}

/**
 * The categorical features of a model, ascending: from the parameters section when the text has one,
 * else from feature_infos. `featureNames` resolves `name:` lists; unknown names are an error.
 */
export function categoricalFeatures(text: string, featureNames: readonly string[]): number[] {
  const fromParams = categoricalParam(text);
  if (fromParams !== undefined) return resolveCategoricalParam(fromParams, featureNames);
  return categoricalFromInfos(featureInfosOf(text));
}

/** The `[categorical_feature: ...]` value of the parameters section; undefined without that line. */
function categoricalParam(text: string): { value: string; line: number } | undefined {
  const at = text.lastIndexOf("\n[categorical_feature:");
  if (at < 0) return undefined;
  const end = text.indexOf("\n", at + 1);
  const line = text.slice(at + 1, end < 0 ? text.length : end).trim();
  if (!line.endsWith("]")) return undefined;
  return { value: line.slice("[categorical_feature:".length, -1).trim(), line: lineOf(text, at + 1) };
}

function resolveCategoricalParam(
  { value, line }: { value: string; line: number },
  names: readonly string[],
): number[] {
  if (value === "") return [];
  const byName = value.startsWith("name:");
  const items = (byName ? value.slice(5) : value)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const index = byName ? new Map(names.map((n, i) => [n, i])) : undefined;
  const out = new Set<number>();
  for (const item of items) {
    const i = index ? (index.get(item) ?? -1) : /^\d+$/.test(item) ? Number(item) : -1;
    if (i < 0 || i >= names.length) {
      throw new ModelParseError(
        `parameters: categorical_feature names ${JSON.stringify(item)}, which is not a feature of the model`,
        line,
      );
    }
    out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** feature_infos entries: `[min:max]` numeric, `none` unused, otherwise a list of category codes. */
export function categoricalFromInfos(infos: readonly string[]): number[] {
  const out: number[] = [];
  infos.forEach((info, i) => {
    if (info !== "none" && !info.startsWith("[")) out.push(i);
  });
  return out;
}

/** The feature_infos line of the header, split; [] when absent. */
export function featureInfosOf(text: string): string[] {
  const at = text.startsWith("feature_infos=") ? 0 : text.indexOf("\nfeature_infos=") + 1;
  if (at <= 0 && !text.startsWith("feature_infos=")) return [];
  const end = text.indexOf("\n", at);
  const line = text.slice(at + "feature_infos=".length, end < 0 ? text.length : end).trim();
  return line === "" ? [] : line.split(" ");
}

/** The last `n` non-empty lines of a text, last first (trimmed), with where each starts. */
function lastLines(text: string, n: number): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let end = text.length;
  while (out.length < n && end > 0) {
    const start = text.lastIndexOf("\n", end - 1);
    const line = text.slice(start + 1, end).trim();
    if (line !== "") out.push({ text: line, at: start + 1 });
    end = start < 0 ? 0 : start;
  }
  return out;
}

/** 1-based line number of a position. */
function lineOf(text: string, at: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < at; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The parameters section as key → value ({} when the text has none). */
export function readParameters(text: string): Record<string, string> {
  const start = text.lastIndexOf("\nparameters:");
  if (start < 0) return {};
  const end = text.indexOf("\nend of parameters", start);
  const out: Record<string, string> = {};
  for (const line of text.slice(start + 1, end < 0 ? text.length : end).split("\n")) {
    const m = /^\[([^:\]]+):\s?(.*)\]\s*$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}
