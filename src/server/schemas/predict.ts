/**
 * Schemas of the classic prediction routes. The envelopes are fixed by the SDK's result types (one
 * schema covers binary, multiclass and regression results, so a model reloaded with another task cannot
 * lose a field in serialization); each model's record schema (the SDK's zod schema as JSON Schema) is
 * registered once per model, for the documentation: the SDK's encoder stays the one validator of
 * records, whose errors name each bad field and row.
 */
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import type { InputRecord } from "../../bundle/schema.js";
import type { Model } from "../../model.js";
import { exampleRecord } from "../example-record.js";
import { AUTH_ERRORS, errors, type Schema } from "./common.js";

/** What the docs show of one model: its schema ids and an example record with the model's own answers. */
export interface ModelDoc {
  name: string;
  /** The model's name as a schema id (component names allow [A-Za-z0-9._-]). */
  id: string;
  example: InputRecord;
  result?: unknown;
  explanation?: unknown;
  fieldsText: string;
}

export function modelDoc(name: string, model: Model, taken: Set<string>): ModelDoc {
  let id = name.replace(/[^A-Za-z0-9._-]/g, "_");
  while (taken.has(id)) id += "_";
  taken.add(id);
  const example = exampleRecord(model);
  let result: unknown;
  let explanation: unknown;
  try {
    result = model.predict(example);
    explanation = model.explain(example);
  } catch {
    // The spec's example does not validate: document the shapes without an answer.
  }
  const fieldsText = model.spec.fields
    .map((f) => `\`${f.name}\` (${f.type}${f.type === "category" ? `: ${f.values.join(", ")}` : ""})`)
    .join(", ");
  return { name, id, example, result, explanation, fieldsText };
}

/** The schemas registered for one model: its record, and a batch of records in the three accepted forms. */
export function modelSchemas(doc: ModelDoc, model: Model): Schema[] {
  const { $schema: _draft, ...record } = model.schema.jsonSchema;
  const columnar = Object.fromEntries(Object.entries(doc.example).map(([k, v]) => [k, [v, v]]));
  return [
    {
      ...record,
      $id: `${doc.id}_Record`,
      title: `${doc.name}: one record`,
      examples: [doc.example],
    },
    {
      $id: `${doc.id}_Batch`,
      title: `${doc.name}: records`,
      description: "Records as an array, as {records: [...]}, or as columns ({field: [values...]})",
      anyOf: [
        { type: "array", items: { $ref: `${doc.id}_Record#` } },
        {
          type: "object",
          required: ["records"],
          properties: { records: { type: "array", items: { $ref: `${doc.id}_Record#` } } },
        },
        { type: "object", additionalProperties: { type: "array" }, examples: [columnar] },
      ],
      examples: [[doc.example, doc.example]],
    },
  ];
}

/** Registers the models' schemas on the application, once per model, before the routes. */
export const registerModelSchemas: FastifyPluginCallback<{ schemas: Schema[] }> = fp<{ schemas: Schema[] }>(
  (app, { schemas }, done) => {
    for (const s of schemas) app.addSchema(s);
    done();
  },
  { name: "model-schemas" },
);

const predictionProperties: Schema = {
  prediction: {
    type: ["number", "string"],
    description: "binary: 1 when probability >= 0.5, else 0; multiclass: the most probable class's label",
  },
  probability: { type: "number", description: "binary: the probability of class 1" },
  probabilities: {
    type: "array",
    items: { type: "number" },
    description: "multiclass: one probability per class, in class order",
  },
  value: { type: "number", description: "regression (and every other objective): the prediction" },
};

const PREDICTION_DESCRIPTION =
  "binary: { prediction, probability }; multiclass: { prediction, probabilities }; regression: { value }";

const contributions: Schema = {
  type: "array",
  description: "Per-field SHAP values in raw-score space, largest |value| first",
  items: {
    type: "object",
    required: ["field", "value"],
    properties: { field: { type: "string" }, value: { type: "number" } },
  },
};

const explanationProperties: Schema = {
  baseValue: { type: "number", description: "Expected raw score over the training data" },
  contributions,
  classes: {
    type: "array",
    description: "multiclass: one explanation per class",
    items: {
      type: "object",
      required: ["class", "baseValue", "contributions"],
      properties: {
        class: { type: ["number", "string"] },
        baseValue: { type: "number" },
        contributions,
      },
    },
  },
};

const examples = (values: unknown[]) => {
  const known = values.filter((v) => v !== undefined);
  return known.length > 0 ? { examples: known } : {};
};

/** The route schemas of /predict, /predict/batch and /explain for these models (one, at the root; any, by name). */
export function predictRouteSchemas(docs: ModelDoc[], named: boolean) {
  const tags = named ? ["models by name"] : [`model ${docs[0]?.name}`];
  const one = (suffix: string) =>
    docs.length === 1
      ? { $ref: `${docs[0].id}${suffix}#` }
      : { anyOf: docs.map((d) => ({ $ref: `${d.id}${suffix}#` })) };
  const params = named
    ? {
        params: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string", description: "The model's name", examples: docs.map((d) => d.name) },
          },
        },
      }
    : {};
  const fields = docs.map((d) => (named ? `${d.name}: ${d.fieldsText}` : d.fieldsText)).join("; ");
  const errs = errors(400, 404, 413, 415, 422, ...AUTH_ERRORS);
  const prediction = {
    type: "object",
    description: PREDICTION_DESCRIPTION,
    properties: predictionProperties,
    ...examples(docs.map((d) => d.result)),
  };
  return {
    predict: {
      tags,
      summary: "Predict one record",
      description: `One record with the model's fields: ${fields}.`,
      ...params,
      body: one("_Record"),
      response: { 200: prediction, ...errs },
    },
    batch: {
      tags,
      summary: "Predict many records",
      description: "One result per record, in the order sent.",
      ...params,
      body: one("_Batch"),
      response: {
        200: {
          description: "One prediction per record",
          type: "object",
          required: ["predictions"],
          properties: {
            predictions: { type: "array", items: { type: "object", properties: predictionProperties } },
          },
          ...examples(
            docs.map((d) => (d.result === undefined ? undefined : { predictions: [d.result, d.result] })),
          ),
        },
        ...errs,
      },
    },
    explain: {
      tags,
      summary: "Explain one prediction (SHAP)",
      description:
        "Per-field SHAP contributions in raw-score space (one-hot columns summed back into their field), " +
        "sorted by magnitude, and the base value: base value + contributions = raw score. Multiclass: one per class.",
      ...params,
      body: one("_Record"),
      response: {
        200: {
          description: "The explanation",
          type: "object",
          properties: explanationProperties,
          ...examples(docs.map((d) => d.explanation)),
        },
        ...errs,
      },
    },
  };
}

/** Shared schemas of this file (none: the envelopes above are inline, each with its models' examples). */
export const predictSchemas: Schema[] = [];
