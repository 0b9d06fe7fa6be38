/**
 * pandas categoricals: a model trained by LightGBM's Python package on a DataFrame with `category`
 * columns carries their categories (`pandas_categorical`, one list per category column, in the
 * DataFrame's column order), and Python maps a string to its index in that list before predicting
 * (basic.py `_data_from_pandas`: `cat.set_categories(list)` then `cat.codes`, -1 → NaN; so an unknown
 * value and a missing one are both NaN). Here the lists are tied to the model's features, so records
 * with the strings predict as Python does.
 *
 * Which feature holds list i: Python records the category columns only as LightGBM's categorical
 * features (`categorical_feature="auto"` is every unordered category column), so when the model has as
 * many categorical features as lists, list i is its i-th categorical feature. When it has fewer (an
 * ordered category column, or a `categorical_feature` that left one out, is coded but split as a
 * number), the model file cannot say which feature holds a list; `lgbm bundle` then finds them in the
 * data (the features whose cells are text). Each pairing is checked against the feature's training
 * values in `feature_infos` (codes must fit the list).
 *
 * No `node:` imports.
 */
import type { ModelInfo } from "../engines/engine.js";
import { ValidationError } from "../errors.js";
import { categoricalFeatures, featureInfosOf, readPandasCategorical } from "../model-text/sections.js";
import { type CategoryFeature, deriveSpec, type Spec } from "./spec.js";

/**
 * The features holding the pandas categoricals of a model text; [] without a pandas_categorical line.
 * `textFeatures` (from data, by `lgbm bundle`): features whose cells are text, which must be among them.
 */
export function pandasCategoricals(
  text: string,
  featureNames: readonly string[],
  textFeatures?: readonly number[],
): CategoryFeature[] {
  const lists = readPandasCategorical(text);
  if (lists === null || lists.length === 0) return [];
  const categorical = categoricalFeatures(text, featureNames);
  const infos = featureInfosOf(text);
  const fits = (features: readonly number[]) =>
    features.length === lists.length &&
    (textFeatures ?? []).every((f) => features.includes(f)) &&
    features.every((f, i) => codesFit(infos[f], lists[i].length));
  const chosen = [categorical, textFeatures ?? []].find(fits);
  if (!chosen) {
    const names = (fs: readonly number[]) => fs.map((f) => featureNames[f]).join(", ") || "none";
    throw new ValidationError([
      {
        field: "pandas_categorical",
        message:
          `lists ${lists.length} category columns, but the model's ${categorical.length} categorical features (${names(categorical)})` +
          (textFeatures
            ? ` and the data's ${textFeatures.length} text columns (${names(textFeatures)})`
            : "") +
          " do not match them one to one (an ordered category column, or one left out of categorical_feature, is coded but split as a number, and the model file does not say which feature it is)" +
          (textFeatures
            ? ""
            : ": make a bundle with `lgbm bundle --model model.txt --data train.csv`, which finds them in the data"),
      },
    ]);
  }
  return chosen.map((feature, i) => ({ feature, values: lists[i] }));
}

/**
 * Whether a feature's training values (its feature_infos entry) can be codes of a list of `n` values:
 * a category list of integers in [-1, n), or a range within [0, n - 1]. Unknown (absent, "none") fits.
 */
function codesFit(info: string | undefined, n: number): boolean {
  if (info === undefined || info === "none") return true;
  if (info.startsWith("[")) {
    const [lo, hi] = info.slice(1, -1).split(":").map(Number);
    return lo >= 0 && hi <= n - 1;
  }
  return info.split(":").every((c) => {
    const code = Number(c);
    return Number.isInteger(code) && code >= -1 && code < n;
  });
}

/** The spec of a bare model from its text: numbers, and categories for its pandas categoricals. */
export function deriveSpecFromText(info: ModelInfo, text: string): Spec {
  return deriveSpec(info, pandasCategoricals(text, info.featureNames));
}
