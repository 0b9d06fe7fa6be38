/**
 * Training through LightGBM's C API (the addon): data → fields inferred and encoded by the bundle's own
 * encoder → LightGBM Dataset → boosting loop with evaluation and early stopping → a Model carrying its
 * spec (fields, encoding, reference statistics, training metadata).
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ColumnarInput, Encoder } from "../bundle/encoder.js";
import type { InputRecord } from "../bundle/schema.js";
import { type FieldSpec, SPEC_VERSION, type Spec, type Stats, taskOf } from "../bundle/spec.js";
import {
  categoryStats,
  finiteRange,
  heldOutMetrics,
  numericStats,
  predictionStats,
} from "../bundle/stats.js";
import { NativeEngine } from "../engines/native.js";
import { fromNativeError, ValidationError } from "../errors.js";
import { Model } from "../model.js";
import { flushNativeLogs, loadBinding, type NativeBooster, type NativeDataset } from "../native/binding.js";
import { ALIASES, checkParams, type Params, paramString, paramValue } from "./params.js";
import { splitRows } from "./prng.js";
import {
  columnNamer,
  columnOf,
  compareCodePoints,
  inferField,
  memoryTable,
  numberOf,
  readCsvTable,
  type Table,
  type TypedField,
} from "./table.js";

export interface TrainProgress {
  /** Iterations done (1-based). */
  iteration: number;
  /** Iterations asked for. */
  total: number;
  /** The first validation metric at this iteration, when there is a validation split. */
  metric?: { name: string; value: number };
}

export interface TrainOptions {
  /** The column to predict. */
  target: string;
  /** Columns to treat as categories (columns that are not numeric are categories anyway). */
  categorical?: string[];
  /** How categories reach LightGBM: one-hot columns (default) or LightGBM's native categorical codes. */
  encoding?: "onehot" | "native";
  /**
   * Unknown categories at prediction time: "error" (default); "ignore" (onehot: all-zero columns, like
   * scikit-learn's handle_unknown="ignore"); "missing" (native: LightGBM's missing value).
   */
  unknownCategories?: "error" | "ignore" | "missing";
  /** Columns that are not features (ids...). */
  ignore?: string[];
  /** Column of row weights. */
  weight?: string;
  /** LightGBM parameters, passed through (keys and values without whitespace or '='). */
  params?: Params;
  /** Share of rows held out for metrics and early stopping (default 0.2; 0 trains on every row). */
  validFraction?: number;
  /** Stop when the first validation metric has not improved for this many iterations. */
  earlyStopping?: number;
  /** Seed of the validation split and of LightGBM (`seed`, with `deterministic=true`). Default 0. */
  seed?: number;
  /** Called after every iteration (the CLI draws its progress bar from it). */
  onIteration?: (progress: TrainProgress) => void;
}

/** Trains a model on a CSV file (path) or records / columns in memory. */
export async function train(
  data: string | readonly InputRecord[] | ColumnarInput,
  options: TrainOptions,
): Promise<Model> {
  const table = typeof data === "string" ? readCsvTable(data) : memoryTable(data);
  return trainTable(table, options);
}

const HIGHER_IS_BETTER = /^(auc|auc_mu|ndcg|map|average_precision)(@|$)/;

async function trainTable(table: Table, options: TrainOptions): Promise<Model> {
  const opts = checkOptions(options);
  const { target, weight } = opts;
  const targetCells = columnOf(table, target, "target");
  const weightCells = weight === undefined ? undefined : columnOf(table, weight, "weight");
  for (const c of [...opts.categorical, ...opts.ignore]) columnOf(table, c, "categorical/ignore");
  const skip = new Set([target, ...(weight === undefined ? [] : [weight]), ...opts.ignore]);

  // Fields: types and category values from every row (the data file defines the input domain).
  const namer = columnNamer();
  const typed: TypedField[] = [];
  const columns: string[] = [];
  table.names.forEach((name, i) => {
    if (skip.has(name)) return;
    const t = inferField(name, table.columns[i], {
      categorical: opts.categorical.includes(name),
      encoding: opts.encoding,
      unknown: opts.unknownCategories,
      columnName: namer,
    });
    if (t.spec.type === "category") {
      if (t.spec.encoding.kind === "onehot") columns.push(...t.spec.encoding.columns);
      else columns.push(t.spec.encoding.column);
    } else columns.push(namer(name));
    typed.push(t);
  });
  if (typed.length === 0) throw new ValidationError([{ field: "data", message: "no feature columns left" }]);
  const fields: FieldSpec[] = typed.map((t) => t.spec);

  // Labels and objective.
  const userParams = checkParams(opts.params);
  const labelInfo = labelsOf(targetCells, target, paramValue(userParams, ALIASES.objective));
  const weights = weightCells ? weightsOf(weightCells, weight!) : undefined;

  const params: Record<string, string> = {
    objective: labelInfo.objective,
    ...(labelInfo.numClass ? { num_class: String(labelInfo.numClass) } : {}),
    seed: String(opts.seed),
    deterministic: "true",
    num_threads: String(availableParallelism()),
    verbose: "-1",
  };
  for (const group of [
    ALIASES.objective,
    ALIASES.numThreads,
    ALIASES.seed,
    ALIASES.verbose,
    ALIASES.numClass,
  ]) {
    if (group.some((k) => userParams[k] !== undefined)) for (const k of group) delete params[k];
  }
  Object.assign(params, userParams);
  if (opts.encoding === "native") {
    if (paramValue(params, ALIASES.categorical) !== undefined) {
      throw new ValidationError([
        { field: "param categorical_feature", message: "is set from --categorical; do not pass it" },
      ]);
    }
    const idx = fields.flatMap((f, i) => (f.type === "category" ? [columnIndex(fields, i)] : []));
    if (idx.length) params.categorical_feature = idx.join(",");
  }
  const config = paramString(params);
  const total = Number(paramValue(params, ALIASES.numIterations) ?? 100);

  // Split, encode with the bundle's own encoder (so training and prediction encode identically).
  const split = splitRows(table.nrow, opts.validFraction, opts.seed);
  if (split.train.length === 0)
    throw new ValidationError([{ field: "data", message: "no training rows left after the split" }]);
  const spec0: Spec = { specVersion: SPEC_VERSION, task: "regression", fields, columns };
  const encoder = new Encoder(spec0);
  const encode = (rows: Int32Array) => {
    const input: ColumnarInput = {};
    typed.forEach((t) => {
      input[t.spec.name] = pick(t.values, rows);
    });
    return encoder.encodeColumns(input);
  };

  const { Booster, Dataset } = loadBinding();
  let trainDs: NativeDataset | undefined;
  let validDs: NativeDataset | undefined;
  let booster: NativeBooster | undefined;
  const ncol = columns.length;
  try {
    const trainX = encode(split.train);
    trainDs = native(() => new Dataset(trainX.data, trainX.nrow, ncol, config));
    native(() => trainDs!.setField("label", pickNumbers(labelInfo.labels, split.train)));
    if (weights) native(() => trainDs!.setField("weight", pickNumbers(weights, split.train)));
    native(() => trainDs!.setFeatureNames(columns));
    booster = native(() => new Booster("train", trainDs!, config));
    let validX: { data: Float64Array; nrow: number } | undefined;
    if (split.valid.length) {
      validX = encode(split.valid);
      validDs = native(() => new Dataset(validX!.data, validX!.nrow, ncol, config, trainDs));
      native(() => validDs!.setField("label", pickNumbers(labelInfo.labels, split.valid)));
      if (weights) native(() => validDs!.setField("weight", pickNumbers(weights, split.valid)));
      native(() => booster!.addValid(validDs!));
    }
    const b = booster;
    const metricName = validDs ? native(() => b.evalNames())[0] : undefined;
    const higher = metricName !== undefined && HIGHER_IS_BETTER.test(metricName);
    let best = { iteration: 0, value: Number.NaN };
    let stoppedEarly = false;
    let lastYield = Date.now();
    for (let it = 1; it <= total; it++) {
      const finished = native(() => b.updateOneIter());
      if (finished) break;
      let metric: TrainProgress["metric"];
      if (metricName !== undefined) {
        const value = native(() => b.getEval(1))[0];
        metric = { name: metricName, value };
        if (Number.isNaN(best.value) || (higher ? value > best.value : value < best.value))
          best = { iteration: it, value };
      }
      opts.onIteration?.({ iteration: it, total, metric });
      if (opts.earlyStopping && metricName !== undefined && it - best.iteration >= opts.earlyStopping) {
        stoppedEarly = true;
        break;
      }
      if (Date.now() - lastYield > 50) {
        // Let timers (the progress bar) run.
        await new Promise((r) => setImmediate(r));
        lastYield = Date.now();
      }
    }
    if (stoppedEarly) {
      const extra = native(() => b.currentIteration()) - best.iteration;
      for (let k = 0; k < extra; k++) native(() => b.rollbackOneIter());
    }
    const engine = NativeEngine.fromBooster(b, {
      numThreads: Number(paramValue(params, ALIASES.numThreads)) || undefined,
    });
    booster = undefined; // owned by the engine now
    try {
      const info = engine.info;
      const task = taskOf(info);
      const trainPred = engine.predict(trainX.data, trainX.nrow);
      const validPred = validX ? engine.predict(validX.data, validX.nrow) : undefined;
      const metrics = validPred
        ? heldOutMetrics(
            task,
            pickNumbers(labelInfo.labels, split.valid),
            validPred,
            info.numClasses,
            weights && pickNumbers(weights, split.valid),
          )
        : {};
      const referenceFields: Record<string, Stats> = {};
      for (const t of typed) {
        const v = pick(t.values, split.train);
        referenceFields[t.spec.name] =
          t.spec.type === "category"
            ? categoryStats(v as (string | null)[], t.spec.values)
            : numericStats(v as Float64Array);
        if (t.spec.type === "number" || t.spec.type === "integer")
          t.spec.range = finiteRange(v as Float64Array) ?? t.spec.range;
      }
      const predSource = validPred ?? trainPred;
      const spec: Spec = {
        specVersion: SPEC_VERSION,
        task,
        target: { name: target, ...(labelInfo.classes ? { classes: labelInfo.classes } : {}) },
        fields,
        columns,
        reference: {
          source: "training rows",
          rows: split.train.length,
          fields: referenceFields,
          prediction: predictionStats(task, predSource, info.numClasses, labelInfo.classes),
          predictionSource: validPred ? "held-out rows" : "training rows",
        },
        training: {
          lightgbmVersion: lightgbmVersion(),
          params,
          data: {
            file: table.source,
            sha256: table.sha256,
            rows: table.nrow,
            trainRows: split.train.length,
            validRows: split.valid.length,
          },
          split: { validFraction: opts.validFraction, seed: opts.seed },
          ...(weight === undefined ? {} : { weight }),
          iterations: info.numIterations,
          ...(opts.earlyStopping && metricName !== undefined
            ? {
                earlyStopping: {
                  rounds: opts.earlyStopping,
                  metric: metricName,
                  bestIteration: best.iteration,
                },
              }
            : {}),
          metrics,
        },
      };
      return Model.fromEngine(engine, { spec });
    } catch (err) {
      engine.dispose();
      throw err;
    }
  } finally {
    booster?.dispose();
    validDs?.dispose();
    trainDs?.dispose();
    flushNativeLogs();
  }
}

function native<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    flushNativeLogs();
    throw fromNativeError(err);
  }
}

interface CheckedOptions {
  target: string;
  categorical: string[];
  encoding: "onehot" | "native";
  unknownCategories: "error" | "ignore" | "missing";
  ignore: string[];
  weight?: string;
  params: Params;
  validFraction: number;
  earlyStopping?: number;
  seed: number;
  onIteration?: (p: TrainProgress) => void;
}

function checkOptions(o: TrainOptions): CheckedOptions {
  if (!o || typeof o.target !== "string" || o.target === "")
    throw new TypeError("options.target must name the target column");
  const encoding = o.encoding ?? "onehot";
  if (encoding !== "onehot" && encoding !== "native") {
    throw new RangeError(`encoding must be "onehot" or "native", got ${JSON.stringify(encoding)}`);
  }
  const unknownCategories = o.unknownCategories ?? "error";
  const allowed = encoding === "onehot" ? ["error", "ignore"] : ["error", "missing"];
  if (!allowed.includes(unknownCategories)) {
    throw new RangeError(
      `unknownCategories must be one of ${allowed.join(", ")} with ${encoding} encoding, got ${JSON.stringify(unknownCategories)}`,
    );
  }
  const validFraction = o.validFraction ?? 0.2;
  if (!(validFraction >= 0 && validFraction < 1))
    throw new RangeError(`validFraction must be in [0, 1), got ${validFraction}`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2 ** 31 - 1)
    throw new RangeError(`seed must be an integer in [0, 2^31), got ${seed}`);
  if (o.earlyStopping !== undefined && !(Number.isInteger(o.earlyStopping) && o.earlyStopping >= 1)) {
    throw new RangeError(`earlyStopping must be an integer >= 1, got ${o.earlyStopping}`);
  }
  if (o.earlyStopping !== undefined && validFraction === 0)
    throw new RangeError("earlyStopping needs a validation split (validFraction > 0)");
  return {
    target: o.target,
    categorical: o.categorical ?? [],
    encoding,
    unknownCategories,
    ignore: o.ignore ?? [],
    weight: o.weight,
    params: o.params ?? {},
    validFraction,
    earlyStopping: o.earlyStopping,
    seed,
    onIteration: o.onIteration,
  };
}

const CLASSIFICATION = new Set([
  "binary",
  "multiclass",
  "softmax",
  "multiclassova",
  "multiclass_ova",
  "ova",
  "ovr",
]);

function labelsOf(
  cells: (string | null)[],
  target: string,
  objective: string | undefined,
): { labels: Float64Array; objective: string; numClass?: number; classes?: string[] } {
  const missing = cells.findIndex((c) => c === null);
  if (missing >= 0)
    throw new ValidationError([{ field: target, row: missing, message: "the target may not be missing" }]);
  const nums = cells.map((c) => numberOf(c!));
  if (nums.every((v) => v !== undefined)) {
    const labels = Float64Array.from(nums as number[]);
    const distinct = new Set(labels);
    const obj =
      objective ??
      (distinct.size <= 2 && [...distinct].every((v) => v === 0 || v === 1) ? "binary" : "regression");
    if (obj === "binary" && ![...distinct].every((v) => v === 0 || v === 1)) {
      throw new ValidationError([{ field: target, message: "binary targets must be 0 or 1" }]);
    }
    if (CLASSIFICATION.has(obj) && obj !== "binary") {
      if (![...distinct].every((v) => Number.isInteger(v) && v >= 0)) {
        throw new ValidationError([{ field: target, message: "multiclass targets must be integers 0..k-1" }]);
      }
      return { labels, objective: obj, numClass: Math.max(...distinct) + 1 };
    }
    return { labels, objective: obj };
  }
  // Text labels: classes sorted, coded 0..k-1.
  const classes = [...new Set(cells as string[])].sort(compareCodePoints);
  const obj = objective ?? (classes.length === 2 ? "binary" : "multiclass");
  if (!CLASSIFICATION.has(obj)) {
    throw new ValidationError([
      { field: target, message: `has text labels, which need a classification objective, not ${obj}` },
    ]);
  }
  if (obj === "binary" && classes.length !== 2) {
    throw new ValidationError([{ field: target, message: `binary needs 2 classes, got ${classes.length}` }]);
  }
  const code = new Map(classes.map((c, i) => [c, i]));
  const labels = Float64Array.from(cells, (c) => code.get(c!)!);
  return { labels, objective: obj, classes, ...(obj === "binary" ? {} : { numClass: classes.length }) };
}

function weightsOf(cells: (string | null)[], name: string): Float64Array {
  return Float64Array.from(cells, (c, row) => {
    const v = c === null ? undefined : numberOf(c);
    if (v === undefined || v < 0)
      throw new ValidationError([
        { field: name, row, message: `weights must be numbers >= 0, got ${JSON.stringify(c)}` },
      ]);
    return v;
  });
}

function columnIndex(fields: FieldSpec[], i: number): number {
  let col = 0;
  for (let k = 0; k < i; k++) {
    const f = fields[k];
    col += f.type === "category" && f.encoding.kind === "onehot" ? f.values.length : 1;
  }
  return col;
}

function pick(values: Float64Array | (string | null)[], rows: Int32Array): Float64Array | (string | null)[] {
  if (values instanceof Float64Array) return pickNumbers(values, rows);
  return Array.from(rows, (r) => values[r]);
}

function pickNumbers(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

let version: string | undefined;
/** The pinned LightGBM version the addon is built over (scripts/lightgbm-pin.json). */
export function lightgbmVersion(): string {
  if (version) return version;
  const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
  version = (JSON.parse(readFileSync(join(root, "scripts/lightgbm-pin.json"), "utf8")) as { version: string })
    .version;
  return version;
}
