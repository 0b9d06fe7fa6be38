/**
 * `lgbm bundle` / `createBundle()`: a bundle from a model trained elsewhere (LightGBM's Python package,
 * scikit-learn's LGBMClassifier, the CLI) and its raw training data. The model file is copied as it is;
 * spec.json gets the fields inferred from the model's feature names and the data (infer-fields.ts,
 * pandas.ts), reference statistics of the data for drift, and metrics when a target is given. The
 * bundle then takes raw records and predicts them as the Python pipeline does.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ColumnarInput } from "../bundle/encoder.js";
import { pandasCategoricals } from "../bundle/pandas.js";
import type { InputRecord } from "../bundle/schema.js";
import {
  type FieldSpec,
  SPEC_VERSION,
  type Spec,
  type Stats,
  stringifySpec,
  taskOf,
} from "../bundle/spec.js";
import { categoryStats, heldOutMetrics, numericStats, predictionStats } from "../bundle/stats.js";
import { cellReader } from "../csv/cell.js";
import { createEngine, type EngineChoice } from "../engines/create.js";
import { ValidationError } from "../errors.js";
import { Model } from "../model.js";
import { readParameters } from "../model-text/sections.js";
import {
  columnOf,
  compareCodePoints,
  memoryTable,
  numberOf,
  readCsvTable,
  type Table,
} from "../train/table.js";
import { inferFieldsFromModel, textFeatures } from "./infer-fields.js";

type Data = string | readonly InputRecord[] | ColumnarInput;

export interface CreateBundleOptions {
  /** The model file, in LightGBM's text format (`booster.save_model("model.txt")`). */
  model: string;
  /** The raw training data (the columns before encoding): a CSV file, or records / columns in memory. */
  data: Data;
  /** The bundle folder to write (created when absent): model.txt (a copy) and spec.json. */
  out: string;
  /** The target column of the data: never a feature; labels for metrics. */
  target?: string;
  /** Labelled rows for metrics, such as the notebook's held-out split (default: `data` itself). */
  evalData?: Data;
  /**
   * Unknown categories at prediction: `error` (default for one-hot groups) refuses the record;
   * `ignore` encodes all zeros, as OneHotEncoder(handle_unknown="ignore"). pandas categoricals make an
   * unknown value missing, as LightGBM's Python package does, unless this is `error`.
   */
  unknown?: "error" | "ignore";
  /**
   * Class labels in the model's class order (LGBMClassifier's `classes_`). Default: numeric targets
   * are the class indices; text targets are sorted, as scikit-learn's LabelEncoder sorts them.
   */
  classes?: readonly (string | number)[];
  /** Engine for the reference predictions and metrics (default auto). */
  engine?: EngineChoice;
}

export interface CreatedBundle {
  dir: string;
  spec: Spec;
  /** What the user should know: values without a model column, unused columns, inferred classes. */
  notes: string[];
}

export async function createBundle(options: CreateBundleOptions): Promise<CreatedBundle> {
  const unknown = options.unknown;
  if (unknown !== undefined && unknown !== "error" && unknown !== "ignore")
    throw new RangeError(`unknown must be "error" or "ignore", got ${JSON.stringify(unknown)}`);
  const bytes = readFileSync(options.model);
  const text = bytes.toString("utf8");
  const table = tableOf(options.data);
  if (options.target !== undefined) columnOf(table, options.target, "target");

  const engine = await createEngine({ text }, { engine: options.engine });
  let model: Model | undefined;
  try {
    const info = engine.info;
    const names = info.featureNames;
    const pandas = pandasCategoricals(text, names, textFeatures(names, table, options.target));
    const { fields, notes } = inferFieldsFromModel(names, table, { target: options.target, unknown, pandas });
    const task = taskOf(info);
    const classes = classesOf(task, info.numClasses, table, options, notes);
    const target = options.target ?? (classes ? "label" : undefined);
    const specs: FieldSpec[] = fields.map((f) => f.spec);
    const base: Spec = {
      specVersion: SPEC_VERSION,
      task,
      ...(target ? { target: { name: target, ...(classes ? { classes } : {}) } } : {}),
      fields: specs,
      columns: [...names],
      // As the Python pipeline: a record without a column is refused, null (NaN) is a missing value.
      absentFields: "error",
    };
    model = Model.fromEngine(engine, { spec: base });

    // Reference statistics: every data row (the data is what the model was trained on).
    const referenceFields: Record<string, Stats> = {};
    const columns: ColumnarInput = {};
    for (const f of fields) {
      columns[f.spec.name] = f.values;
      referenceFields[f.spec.name] =
        f.spec.type === "category"
          ? categoryStats(f.values as (string | null)[], f.spec.values)
          : numericStats(f.values as Float64Array);
    }
    const encoded = model.encode(columns);
    let predSource = "data rows";
    let pred = model.predict(encoded.data);

    let evaluation: NonNullable<Spec["origin"]>["evaluation"];
    if (options.target !== undefined) {
      const evalTable = options.evalData === undefined ? table : tableOf(options.evalData);
      const labelled = labelsOf(
        task,
        task === "binary" ? 2 : info.numClasses,
        evalTable,
        options.target,
        classes,
      );
      // Rows the bundle refuses (an unknown category under --unknown error) cannot be scored.
      const { rows, labels } = accepted(model, evalTable, specs, labelled);
      const refused = labelled.rows.length - rows.length;
      if (refused) {
        notes.push(
          `${refused} row(s) of ${evalTable.source} the bundle refuses (see lgbm predict for why) left out of the metrics`,
        );
      }
      if (rows.length) {
        const x = model.encode(fieldColumns(evalTable, specs, rows));
        const p = model.predict(x.data);
        evaluation = {
          file: evalTable.source,
          sha256: evalTable.sha256,
          rows: rows.length,
          metrics: heldOutMetrics(task, labels, p, info.numClasses),
        };
        if (options.evalData !== undefined) {
          pred = p;
          predSource = "evaluation rows";
        }
      }
      const skipped = evalTable.nrow - labelled.rows.length;
      if (skipped) notes.push(`${skipped} row(s) without a ${options.target} value left out of the metrics`);
    }

    const spec: Spec = {
      ...base,
      reference: {
        source: "data rows",
        rows: table.nrow,
        fields: referenceFields,
        prediction: predictionStats(task, pred, info.numClasses, classes?.map(String)),
        predictionSource: predSource,
      },
      origin: {
        tool: "lgbm bundle",
        model: { file: basename(options.model), sha256: createHash("sha256").update(bytes).digest("hex") },
        data: { file: table.source, sha256: table.sha256, rows: table.nrow },
        params: readParameters(text),
        ...(evaluation ? { evaluation } : {}),
      },
    };
    const json = stringifySpec(spec);
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, "model.txt"), bytes);
    writeFileSync(join(options.out, "spec.json"), json);
    return { dir: options.out, spec, notes };
  } finally {
    if (model) model.dispose();
    else engine.dispose();
  }
}

function tableOf(data: Data): Table {
  return typeof data === "string" ? readCsvTable(data) : memoryTable(data);
}

/** The fields' columns of a table (rows picked), each cell read as the field reads it. */
function fieldColumns(table: Table, fields: readonly FieldSpec[], rows: readonly number[]): ColumnarInput {
  const out: ColumnarInput = {};
  for (const f of fields) {
    const cells = columnOf(table, f.name, "evaluation data");
    const read = cellReader(f);
    out[f.name] = rows.map((r) => read(cells[r]));
  }
  return out;
}

/** The labelled rows the model's encoder accepts (all of them, usually: then one encode call). */
function accepted(
  model: Model,
  table: Table,
  fields: readonly FieldSpec[],
  labelled: { rows: number[]; labels: Float64Array },
): { rows: number[]; labels: Float64Array } {
  const columns = fieldColumns(table, fields, labelled.rows);
  try {
    model.encode(columns);
    return labelled;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
  }
  const keep: number[] = [];
  labelled.rows.forEach((_, i) => {
    const record: InputRecord = {};
    for (const f of fields) record[f.name] = (columns[f.name] as unknown[])[i];
    try {
      model.validate(record);
      keep.push(i);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
    }
  });
  return {
    rows: keep.map((i) => labelled.rows[i]),
    labels: Float64Array.from(keep, (i) => labelled.labels[i]),
  };
}

/** Class labels: given (checked against the model), or inferred from a text target (sorted). */
function classesOf(
  task: Spec["task"],
  numClasses: number,
  table: Table,
  options: CreateBundleOptions,
  notes: string[],
): (string | number)[] | undefined {
  const k = task === "binary" ? 2 : numClasses;
  if (options.classes !== undefined) {
    if (task === "regression")
      throw new ValidationError([
        { field: "classes", message: "are for classifiers; the model is a regression" },
      ]);
    if (options.classes.length !== k)
      throw new ValidationError([
        { field: "classes", message: `has ${options.classes.length} labels but the model has ${k} classes` },
      ]);
    if (new Set(options.classes.map(String)).size !== k)
      throw new ValidationError([{ field: "classes", message: "has duplicates" }]);
    return [...options.classes];
  }
  if (task === "regression" || options.target === undefined) return undefined;
  const cells = columnOf(table, options.target, "target").filter((c): c is string => c !== null);
  if (cells.every((c) => numberOf(c) !== undefined)) return undefined;
  const classes = [...new Set(cells)].sort(compareCodePoints);
  if (classes.length !== k) {
    throw new ValidationError([
      {
        field: options.target,
        message: `has ${classes.length} distinct labels but the model has ${k} classes: give them in the model's order with --classes`,
      },
    ]);
  }
  notes.push(`classes (sorted, as scikit-learn's LabelEncoder sorts them): ${classes.join(", ")}`);
  return classes;
}

/** The labelled rows of a table and their labels as the model's codes (class index, or the value). */
function labelsOf(
  task: Spec["task"],
  k: number,
  table: Table,
  target: string,
  classes: readonly (string | number)[] | undefined,
): { rows: number[]; labels: Float64Array } {
  const cells = columnOf(table, target, "target");
  const code = classes ? new Map(classes.map((c, i) => [String(c), i])) : undefined;
  const rows: number[] = [];
  const labels: number[] = [];
  cells.forEach((c, row) => {
    if (c === null) return;
    let y: number | undefined;
    if (code) {
      y = code.get(c);
      const n = numberOf(c);
      if (y === undefined && n !== undefined) y = code.get(String(n));
    } else {
      y = numberOf(c);
      if (y !== undefined && task !== "regression" && !(Number.isInteger(y) && y >= 0 && y < k))
        y = undefined;
    }
    if (y === undefined) {
      throw new ValidationError([
        {
          field: target,
          row,
          message: code
            ? `${JSON.stringify(c)} is not one of the classes (${[...code.keys()].join(", ")})`
            : `expected ${task === "regression" ? "a number" : `a class index 0..${k - 1}`}, got ${JSON.stringify(c)}`,
        },
      ]);
    }
    rows.push(row);
    labels.push(y);
  });
  return { rows, labels: Float64Array.from(labels) };
}
