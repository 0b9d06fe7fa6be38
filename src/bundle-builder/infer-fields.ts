/**
 * The input fields of a model trained elsewhere (in Python, say), inferred from its feature names and
 * the raw training data: what `lgbm bundle` writes into spec.json. Each model feature is, in order:
 *
 * 1. a pandas categorical (src/bundle/pandas.ts): a category field with the model's category list;
 * 2. a data column of that name: a number that may be missing or infinite (what the Python pipeline
 *    passes on), or a boolean for a column of true/false;
 * 3. `<column>_<value>`: one column of a one-hot group, as scikit-learn's `get_feature_names_out` and
 *    `pandas.get_dummies` name them. Values may contain `_`, so the name is matched against the data:
 *    the longest column name that prefixes it and whose rest is a value seen in that column;
 * 4. the same after a ColumnTransformer prefix (`cat__sales_IT`, `remainder__x`: sklearn forbids `__`
 *    in transformer names, so the prefix ends at the first `__`).
 *
 * LightGBM writes a space in a feature name as `_`, so names and values are compared that way. A
 * feature that matches none of these is an error naming it; so is a one-hot group whose columns are not
 * next to each other (a field's columns are contiguous in the bundle layout, see spec.ts).
 */

import type { CategoryFeature, FieldSpec } from "../bundle/spec.js";
import { finiteRange } from "../bundle/stats.js";
import { cellReader, readNumber } from "../csv/cell.js";
import { ValidationError, type ValidationIssue } from "../errors.js";
import { compareCodePoints, inferField, type Table } from "../train/table.js";

export interface InferFieldsOptions {
  /** The target column (never a feature). */
  target?: string;
  /**
   * Unknown categories: `error` refuses them; `ignore` encodes them as all-zero one-hot (pandas:
   * missing). Default: `error` for one-hot groups, missing for pandas categoricals (as Python does).
   */
  unknown?: "error" | "ignore";
  /** The model's pandas categoricals (pandasCategoricals()). */
  pandas: readonly CategoryFeature[];
}

export interface InferredField {
  spec: FieldSpec;
  /** The field's data values: numbers (NaN missing) or category values (null missing). */
  values: Float64Array | (string | null)[];
}

export interface InferredFields {
  fields: InferredField[];
  /** What the user should know (values without a column, unused columns). */
  notes: string[];
}

type Match =
  | { kind: "numeric"; col: number }
  | { kind: "pandas"; col: number; values: string[] }
  | { kind: "onehot"; col: number; value: string };

/** LightGBM's own rewrite of feature names (Dataset::set_feature_names): spaces become `_`. */
export const lightgbmName = (s: string): string => s.replaceAll(" ", "_");

/** Data columns that hold text (a cell that is neither missing nor a number), as model feature indices. */
export function textFeatures(featureNames: readonly string[], table: Table, target?: string): number[] {
  const lookup = columnLookup(table, target);
  const out: number[] = [];
  featureNames.forEach((f, i) => {
    const col = lookup.get(f);
    if (col !== undefined && table.columns[col].some((c) => c !== null && readNumber(c) === undefined))
      out.push(i);
  });
  return out;
}

/** Data column index by name, and by LightGBM's rewrite of the name when that is unambiguous. */
function columnLookup(table: Table, target?: string): Map<string, number> {
  const exact = new Map<string, number>();
  const rewritten = new Map<string, number | null>();
  table.names.forEach((n, i) => {
    if (n === target) return;
    exact.set(n, i);
    const r = lightgbmName(n);
    rewritten.set(r, rewritten.has(r) ? null : i);
  });
  for (const [r, i] of rewritten) if (i !== null && !exact.has(r)) exact.set(r, i);
  return exact;
}

export function inferFieldsFromModel(
  featureNames: readonly string[],
  table: Table,
  options: InferFieldsOptions,
): InferredFields {
  const lookup = columnLookup(table, options.target);
  // Data columns by their (rewritten) name, longest first: the longest prefix wins.
  const prefixes = [...new Set(table.names.filter((n) => n !== options.target))]
    .map((n) => ({ name: lightgbmName(n), col: table.names.indexOf(n) }))
    .sort((a, b) => b.name.length - a.name.length);
  const valueCache = new Map<number, { text: Map<string, string>; numbers: Set<number> }>();
  const valuesOf = (col: number) => {
    let v = valueCache.get(col);
    if (!v) {
      v = { text: new Map(), numbers: new Set() };
      for (const c of table.columns[col]) {
        if (c === null) continue;
        if (!v.text.has(lightgbmName(c))) v.text.set(lightgbmName(c), c);
        const n = readNumber(c);
        if (n !== undefined && Number.isFinite(n)) v.numbers.add(n);
      }
      valueCache.set(col, v);
    }
    return v;
  };
  const pandas = new Map(options.pandas.map((p) => [p.feature, p.values]));

  const matchName = (f: string): Match | undefined => {
    const col = lookup.get(f);
    if (col !== undefined) return { kind: "numeric", col };
    for (const p of prefixes) {
      if (f.length <= p.name.length + 1 || !f.startsWith(p.name) || f[p.name.length] !== "_") continue;
      const rest = f.slice(p.name.length + 1);
      const values = valuesOf(p.col);
      const text = values.text.get(rest);
      if (text !== undefined) return { kind: "onehot", col: p.col, value: text };
      // A number written another way (`rooms_3.0` for cells `3`): the value is the number's text.
      const n = readNumber(rest);
      if (n !== undefined && Number.isFinite(n) && values.numbers.has(n))
        return { kind: "onehot", col: p.col, value: String(n) };
    }
    return undefined;
  };

  const issues: ValidationIssue[] = [];
  const matches: (Match | undefined)[] = featureNames.map((f, i) => {
    const values = pandas.get(i);
    if (values !== undefined) {
      const col = lookup.get(f);
      if (col === undefined) {
        issues.push({
          field: f,
          message: "is a pandas categorical of the model, but the data has no such column",
        });
        return undefined;
      }
      return { kind: "pandas", col, values };
    }
    const m = matchName(f) ?? (f.includes("__") ? matchName(f.slice(f.indexOf("__") + 2)) : undefined);
    if (!m) {
      const stripped = f.includes("__") && !lookup.has(f) ? f.slice(f.indexOf("__") + 2) : f;
      issues.push({ field: f, message: unmatched(stripped, table, lookup) });
    }
    return m;
  });
  if (issues.length) throw new ValidationError(withHint(issues, featureNames));

  const fields: InferredField[] = [];
  const notes: string[] = [];
  const usedBy = new Map<number, number>();
  for (let j = 0; j < matches.length; ) {
    const m = matches[j]!;
    const colName = table.names[m.col];
    const cells = table.columns[m.col];
    const first = usedBy.get(m.col);
    if (first !== undefined) {
      issues.push({
        field: featureNames[j],
        message:
          m.kind === "onehot"
            ? `is a one-hot column of ${colName}, whose other columns (from feature ${first}, ${featureNames[first]}) are not next to it: a field's columns must be contiguous`
            : `reads column ${colName}, which feature ${first} (${featureNames[first]}) reads already`,
      });
      j++;
      continue;
    }
    usedBy.set(m.col, j);
    if (m.kind === "numeric") {
      const t = inferField(colName, cells, {
        categorical: false,
        encoding: "native",
        unknown: "error",
        columnName: () => "",
      });
      if (t.spec.type === "category") {
        const sample = cells.find((c) => c !== null && readNumber(c) === undefined);
        issues.push({
          field: featureNames[j],
          message: `is a number for the model, but column ${colName} holds text (${JSON.stringify(sample)}): a category the model never saw as such (encode it as in Python, or train on a pandas category column)`,
        });
      } else fields.push({ spec: numericSpec(colName, cells, t.values as Float64Array), values: t.values });
      j++;
      continue;
    }
    if (m.kind === "pandas") {
      const spec: FieldSpec = {
        name: colName,
        type: "category",
        nullable: true,
        values: m.values,
        unknown: options.unknown === "error" ? "error" : "missing",
        encoding: { kind: "native", column: featureNames[j] },
      };
      const values = cells.map(cellReader(spec)) as (string | null)[];
      const known = new Set(m.values);
      const extra = distinct(values.filter((v): v is string => v !== null && !known.has(v)));
      if (extra.length && options.unknown === "error") {
        issues.push({
          field: colName,
          message: `has values that are not among the model's categories (${preview(extra)}), which --unknown error refuses; without it they are missing values, as in Python`,
        });
      } else if (extra.length) {
        notes.push(
          `${colName}: ${extra.length} value(s) of the data are not among the model's categories (${preview(extra)}): they are missing values, as in Python`,
        );
      }
      fields.push({ spec, values });
      j++;
      continue;
    }
    // One-hot: the run of features naming this column.
    const values: string[] = [];
    const columns: string[] = [];
    let k = j;
    for (; k < matches.length; k++) {
      const mk = matches[k]!;
      if (mk.kind !== "onehot" || mk.col !== m.col) break;
      if (values.includes(mk.value)) {
        issues.push({
          field: featureNames[k],
          message: `repeats the one-hot value ${JSON.stringify(mk.value)} of ${colName}`,
        });
      }
      values.push(mk.value);
      columns.push(featureNames[k]);
    }
    const spec: FieldSpec = {
      name: colName,
      type: "category",
      // Missing values encode as all zeros where the data had them, or where unknown ones do.
      nullable: options.unknown === "ignore" || cells.some((c) => c === null),
      values,
      unknown: options.unknown ?? "error",
      encoding: { kind: "onehot", columns },
    };
    const read = cells.map(cellReader(spec)) as (string | null)[];
    const known = new Set(values);
    const extra = distinct(read.filter((v): v is string => v !== null && !known.has(v)));
    if (extra.length) {
      if (options.unknown !== "ignore") {
        issues.push({
          field: colName,
          message: `has values without a model column (${preview(extra)}): the encoder dropped them (drop="first"?) or never saw them; with --unknown ignore they encode as all zeros, as scikit-learn's handle_unknown="ignore" and drop do`,
        });
      } else {
        notes.push(
          `${colName}: ${extra.length} value(s) of the data have no model column (${preview(extra)}): they encode as all zeros`,
        );
      }
    }
    fields.push({ spec, values: read });
    j = k;
  }
  if (issues.length) throw new ValidationError(issues);

  const unused = table.names.filter((n, i) => n !== options.target && !usedBy.has(i));
  if (unused.length) notes.push(`columns the model does not read: ${preview(unused)}`);
  return { fields, notes };
}

/**
 * A numeric feature's field: a number that may be missing or infinite, as the Python pipeline passes
 * any double to LightGBM (a boolean when the data writes true/false, as a pandas bool column does).
 */
function numericSpec(name: string, cells: readonly (string | null)[], values: Float64Array): FieldSpec {
  if (cells.some((c) => c !== null && /^(true|false)$/i.test(c)))
    return { name, type: "boolean", nullable: true };
  const range = finiteRange(values);
  return {
    name,
    type: "number",
    nullable: true,
    ...(range ? { range } : {}),
    infinite: true,
  };
}

function unmatched(f: string, table: Table, lookup: Map<string, number>): string {
  const prefix = [...lookup.keys()]
    .filter((n) => f.startsWith(`${lightgbmName(n)}_`))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix !== undefined) {
    const rest = f.slice(lightgbmName(prefix).length + 1);
    if (rest === "nan" || rest === "None") {
      return `is a one-hot column for missing values of ${prefix}, which bundles do not encode (missing values encode as all zeros)`;
    }
    return `is neither a column of the data nor <column>_<value> of one: ${JSON.stringify(rest)} is not a value of column ${prefix}`;
  }
  return `is neither a column of the data nor <column>_<value> of one (data columns: ${preview(table.names)})`;
}

/** LightGBM's default names (a model trained on an array without names) match nothing: say so once. */
function withHint(issues: ValidationIssue[], featureNames: readonly string[]): ValidationIssue[] {
  if (!featureNames.every((f) => /^Column_\d+$/.test(f))) return issues;
  return [
    {
      field: "model",
      message: `its features have LightGBM's default names (Column_0 ... Column_${featureNames.length - 1}): it was trained on an array without column names, so nothing ties them to the data's columns; train on a DataFrame (or pass feature_name=...) so the model carries the names`,
    },
  ];
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}

function preview(values: readonly string[]): string {
  return values.length <= 8
    ? values.join(", ")
    : `${values.slice(0, 8).join(", ")}, ... (${values.length} in all)`;
}
