/**
 * The bundle's input spec (`spec.json`), defined schema-first with zod: the TypeScript type is inferred
 * from the schema, and the same schema validates spec.json on load. It replaces the classic recipe's
 * pickled feature list and scikit-learn OneHotEncoder with a readable, versioned file.
 *
 * Layout rule (shared by the encoder, the trainer and the Python fixtures): the model's columns are the
 * fields in order; a one-hot field expands in place into one column per known value, in the order of
 * `values` (sorted, as scikit-learn's OneHotEncoder sorts categories); every other field is one column.
 */
import * as z from "zod";
import type { ModelInfo } from "../engines/engine.js";
import { ValidationError } from "../errors.js";

export const SPEC_VERSION = 1;

const name = z.string().min(1);
const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);
/** A data file: its name (no directory), the sha256 of its bytes and its data rows. */
const dataFileSchema = z.strictObject({
  file: z.string(),
  sha256: sha256Schema,
  rows: z.number().int().min(1),
});

const numericField = z.strictObject({
  name,
  /** number: any finite number; integer: a safe integer. */
  type: z.enum(["number", "integer"]),
  /** Whether the field may be null or absent (encoded as NaN, LightGBM's missing value). */
  nullable: z.boolean(),
  /** [min, max] seen in training, for information and drift checks; values outside are accepted. */
  range: z.tuple([z.number(), z.number()]).optional(),
  /**
   * Whether ±Infinity is a value (LightGBM reads it: the last or first bin). Set for bare models and
   * when the training data had infinities; otherwise an infinite value is refused.
   */
  infinite: z.boolean().optional(),
});

const booleanField = z.strictObject({
  name,
  /** true/false or 0/1, encoded as 0/1. */
  type: z.literal("boolean"),
  nullable: z.boolean(),
});

const onehotEncoding = z.strictObject({
  kind: z.literal("onehot"),
  /** The model columns of this field, one per entry of `values`, in that order. */
  columns: z.array(name).min(1),
});

const nativeEncoding = z.strictObject({
  /** LightGBM categorical feature: the value's index in `values` as the code. */
  kind: z.literal("native"),
  column: name,
});

const categoryField = z
  .strictObject({
    name,
    type: z.literal("category"),
    nullable: z.boolean(),
    /**
     * Known values: value i is code i (native) or the i-th one-hot column. Sorted when made by
     * `lgbm train` (as scikit-learn sorts); a pandas categorical keeps its categories' order. A value
     * that is a number's canonical text ("3") also matches that number in a record.
     */
    values: z.array(z.string()).min(1),
    /**
     * Unknown values: `error` rejects the record; `ignore` (onehot only) encodes all zeros, like
     * scikit-learn's handle_unknown="ignore"; `missing` (native only) encodes NaN.
     */
    unknown: z.enum(["error", "ignore", "missing"]),
    encoding: z.discriminatedUnion("kind", [onehotEncoding, nativeEncoding]),
  })
  .superRefine((f, ctx) => {
    if (f.encoding.kind === "onehot" && f.encoding.columns.length !== f.values.length) {
      ctx.addIssue({
        code: "custom",
        path: ["encoding", "columns"],
        message: `has ${f.encoding.columns.length} columns for ${f.values.length} values`,
      });
    }
    if (new Set(f.values).size !== f.values.length) {
      ctx.addIssue({ code: "custom", path: ["values"], message: "has duplicates" });
    }
    if (f.unknown === "ignore" && f.encoding.kind !== "onehot") {
      ctx.addIssue({ code: "custom", path: ["unknown"], message: '"ignore" needs onehot encoding' });
    }
    if (f.unknown === "missing" && f.encoding.kind !== "native") {
      ctx.addIssue({ code: "custom", path: ["unknown"], message: '"missing" needs native encoding' });
    }
  });

export const fieldSchema = z.union([numericField, booleanField, categoryField]);

/**
 * Reference distribution of a numeric value for drift monitoring (PSI). `edges` are the inner bin
 * boundaries (training quantiles, deduplicated): bin 0 is (-inf, edges[0]], bin i is
 * (edges[i-1], edges[i]], the last bin is (edges[last], +inf). `shares[i]` is the share of all reference
 * rows in bin i; `missingShare` the share of missing values, so shares + missingShare sum to 1.
 */
export const numericStatsSchema = z
  .strictObject({
    kind: z.literal("numeric"),
    edges: z.array(z.number()),
    shares: z.array(z.number().min(0).max(1)),
    missingShare: z.number().min(0).max(1),
  })
  .refine((s) => s.shares.length === s.edges.length + 1, {
    message: "shares must have edges.length + 1 entries",
  });

/** Reference distribution of a category: share of reference rows per value (and missing). */
export const categoryStatsSchema = z.strictObject({
  kind: z.literal("category"),
  shares: z.record(z.string(), z.number().min(0).max(1)),
  missingShare: z.number().min(0).max(1),
});

export const statsSchema = z.union([numericStatsSchema, categoryStatsSchema]);

export const specSchema = z
  .strictObject({
    specVersion: z.literal(SPEC_VERSION),
    /**
     * How outputs are named: binary → { prediction: 0 | 1, probability }; multiclass →
     * { prediction: label, probabilities }; regression (every other objective) → { value }.
     */
    task: z.enum(["binary", "multiclass", "regression"]),
    target: z
      .strictObject({
        name,
        /** Labels of classes 0..k-1 (multiclass, or binary trained on text labels). */
        classes: z.array(z.union([z.string(), z.number()])).optional(),
      })
      .optional(),
    fields: z.array(fieldSchema).min(1),
    /** The model's columns in order (its feature names), after encoding. */
    columns: z.array(name).min(1),
    /**
     * A nullable field absent from a record: `missing` (default) reads it as a missing value; `error`
     * refuses the record, naming the field (null is then how a record says "missing"), as a pandas
     * pipeline refuses a DataFrame without the column. Bare models and `lgbm bundle` use `error`.
     */
    absentFields: z.enum(["error", "missing"]).optional(),
    reference: z
      .strictObject({
        /** Which rows the statistics describe. */
        source: z.string(),
        rows: z.number().int().min(1),
        fields: z.record(z.string(), statsSchema),
        /** Predictions (binary: probability; regression: value; multiclass: predicted class). */
        prediction: statsSchema.optional(),
        predictionSource: z.string().optional(),
      })
      .optional(),
    training: z
      .strictObject({
        lightgbmVersion: z.string(),
        params: z.record(z.string(), z.string()),
        data: z.strictObject({
          /** The data file's name (no directory: bundles must not depend on where they were trained). */
          file: z.string(),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          rows: z.number().int().min(1),
          trainRows: z.number().int().min(1),
          validRows: z.number().int().min(0),
        }),
        split: z.strictObject({ validFraction: z.number().min(0).lt(1), seed: z.number().int() }),
        weight: z.string().optional(),
        iterations: z.number().int().min(0),
        earlyStopping: z
          .strictObject({
            rounds: z.number().int().min(1),
            metric: z.string(),
            bestIteration: z.number().int(),
          })
          .optional(),
        /** Metrics on the held-out rows (empty without a validation split). */
        metrics: z.record(z.string(), z.number()),
      })
      .optional(),
    /** A bundle made by `lgbm bundle` from a model trained elsewhere (in Python, say): where it came from. */
    origin: z
      .strictObject({
        /** What made the bundle ("lgbm bundle"). */
        tool: z.string(),
        /** The model file's name (no directory) and the sha256 of its bytes. */
        model: z.strictObject({ file: z.string(), sha256: sha256Schema }),
        /** The data the fields and reference statistics were inferred from. */
        data: dataFileSchema,
        /** The model's parameters section, as LightGBM wrote it. */
        params: z.record(z.string(), z.string()),
        /**
         * Metrics of the model on labelled rows: a held-out file (`--eval`), or the data itself (then
         * `file` is the data's, and they are training metrics).
         */
        evaluation: dataFileSchema.extend({ metrics: z.record(z.string(), z.number()) }).optional(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const names = new Set<string>();
    let width = 0;
    spec.fields.forEach((f, i) => {
      if (names.has(f.name))
        ctx.addIssue({ code: "custom", path: ["fields", i, "name"], message: "is a duplicate" });
      names.add(f.name);
      width += fieldWidth(f);
    });
    if (width !== spec.columns.length) {
      ctx.addIssue({
        code: "custom",
        path: ["columns"],
        message: `has ${spec.columns.length} names but the fields encode into ${width} columns`,
      });
    }
  });

export type Spec = z.infer<typeof specSchema>;
export type FieldSpec = z.infer<typeof fieldSchema>;
export type CategoryFieldSpec = Extract<FieldSpec, { type: "category" }>;
export type Stats = z.infer<typeof statsSchema>;
export type Task = Spec["task"];

/** Model columns a field encodes into. */
export function fieldWidth(f: FieldSpec): number {
  return f.type === "category" && f.encoding.kind === "onehot" ? f.values.length : 1;
}

/** The task implied by a LightGBM objective. */
export function taskOf(info: Pick<ModelInfo, "objective" | "numClasses">): Task {
  if (info.objective === "binary") return "binary";
  if (info.numClasses > 1) return "multiclass";
  return "regression";
}

/** Parses spec.json text, with errors that name the path and the problem. */
export function parseSpec(text: string, source = "spec.json"): Spec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ field: source, message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  return validateSpec(json, source);
}

/** Checks a parsed spec.json (a JSON value of unknown shape), with errors that name the path and the problem. */
export function validateSpec(json: unknown, source = "spec.json"): Spec {
  const result = specSchema.safeParse(json);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        field: [source, ...issue.path.map(String)].join("."),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** Checks that a spec belongs to a model: same task, classes, column count and names. */
export function checkSpecMatchesModel(spec: Spec, info: ModelInfo, source = "spec.json"): void {
  const task = taskOf(info);
  if (spec.task !== task) {
    throw new ValidationError([
      {
        field: `${source}.task`,
        message: `is ${spec.task} but the model's objective ${info.objective} is ${task}`,
      },
    ]);
  }
  const classes = spec.target?.classes;
  if (task === "multiclass" && classes && classes.length !== info.numClasses) {
    throw new ValidationError([
      {
        field: `${source}.target.classes`,
        message: `has ${classes.length} labels but the model has ${info.numClasses} classes`,
      },
    ]);
  }
  if (spec.columns.length !== info.numFeatures) {
    throw new ValidationError([
      {
        field: `${source}.columns`,
        message: `has ${spec.columns.length} columns but the model has ${info.numFeatures} features`,
      },
    ]);
  }
  const i = spec.columns.findIndex((c, k) => c !== info.featureNames[k]);
  if (i >= 0) {
    throw new ValidationError([
      {
        field: `${source}.columns.${i}`,
        message: `is ${JSON.stringify(spec.columns[i])} but the model's feature ${i} is ${JSON.stringify(info.featureNames[i])}`,
      },
    ]);
  }
}

/** A feature of a bare model that holds a pandas categorical: its index and its categories, in order. */
export interface CategoryFeature {
  feature: number;
  values: string[];
}

/**
 * The spec of a bare model.txt: one field per feature, named as the model names it. A nullable number
 * that may be infinite (LightGBM reads any double), or, for a pandas categorical, a category whose value
 * i is code i and whose unknown values are missing, as LightGBM's Python package maps them.
 */
export function deriveSpec(info: ModelInfo, categories: readonly CategoryFeature[] = []): Spec {
  const byFeature = new Map(categories.map((c) => [c.feature, c.values]));
  const fields: FieldSpec[] = info.featureNames.map((name, i) => {
    const values = byFeature.get(i);
    if (values === undefined) return { name, type: "number", nullable: true, infinite: true };
    return {
      name,
      type: "category",
      nullable: true,
      values,
      unknown: "missing",
      encoding: { kind: "native", column: name },
    };
  });
  return {
    specVersion: SPEC_VERSION,
    task: taskOf(info),
    fields,
    columns: [...info.featureNames],
    absentFields: "error",
  };
}

/**
 * Serializes a spec deterministically: key order as built, 2-space indent, arrays of plain values on
 * one line (a raw newline only occurs between JSON tokens, so collapsing them cannot touch a string).
 */
export function stringifySpec(spec: Spec): string {
  const text = JSON.stringify(specSchema.parse(spec), null, 2);
  return `${text.replace(/\[\n[^[\]{}]*?\n\s*\]/g, (m) => m.replace(/\n\s*/g, " ").replace("[ ", "[").replace(/ \]$/, "]"))}\n`;
}
