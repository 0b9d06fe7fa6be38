/**
 * The OpenAPI 3.1 document, generated from each model's record schema (the SDK's zod schema as JSON
 * Schema), with a real example request and the response the model gives for it. Served at
 * /openapi.json and rendered by Swagger UI (/docs) and ReDoc (/redoc).
 */
import type { ModelEntry } from "./registry.js";
import { V2_DATATYPES } from "./v2.js";

type Json = Record<string, unknown>;

const errorSchema: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: { type: "string", description: "What went wrong" },
    code: { type: "string" },
    request_id: { type: "string", description: "Also on every server log line of this request" },
  },
};

const validationErrorSchema: Json = {
  type: "object",
  required: ["error", "issues"],
  properties: {
    error: { type: "string", example: "validation failed" },
    issues: {
      type: "array",
      items: {
        type: "object",
        required: ["field", "message"],
        properties: {
          field: { type: "string" },
          row: { type: "integer", description: "Row within a batch" },
          message: { type: "string" },
        },
      },
    },
    request_id: { type: "string" },
  },
  example: {
    error: "validation failed",
    issues: [{ field: "satisfaction_level", message: 'expected a number, got "high"' }],
    request_id: "9f2c…",
  },
};

const v2ErrorSchema: Json = {
  type: "object",
  required: ["error"],
  properties: { error: { type: "string" } },
};

/** A JSON Schema describing a value, inferred from an example of it. */
function schemaOf(value: unknown): Json {
  if (Array.isArray(value)) return { type: "array", items: value.length ? schemaOf(value[0]) : {} };
  if (value === null) return { type: "null" };
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  if (typeof value === "object") {
    return {
      type: "object",
      properties: Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, schemaOf(v)])),
      required: Object.keys(value as Json),
    };
  }
  return { type: typeof value };
}

function errors(v2 = false): Json {
  const ref = v2 ? "#/components/schemas/V2Error" : "#/components/schemas/Error";
  const err = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: ref } } },
  });
  return {
    ...(v2
      ? { "400": err("Malformed JSON or a bad inference request (each bad input named)") }
      : {
          "400": err("Malformed JSON"),
          "422": {
            description: "Validation failed: one issue per bad field (and row)",
            content: { "application/json": { schema: { $ref: "#/components/schemas/ValidationError" } } },
          },
        }),
    "401": err("Missing or unknown API key (when keys are configured)"),
    "413": err("Body over the size limit"),
    "415": err("Content type is not application/json"),
    "429": err("Rate limit exceeded"),
    "500": err("Internal error; the request id is in the server log"),
  };
}

export interface OpenApiOptions {
  title: string;
  version: string;
  /** Serve /predict etc. without the /models/{name} prefix (single-model servers). */
  defaultModel?: string;
  auth: boolean;
}

export function buildOpenApi(entries: ModelEntry[], opts: OpenApiOptions): Json {
  const schemas: Json = {
    Error: errorSchema,
    ValidationError: validationErrorSchema,
    V2Error: v2ErrorSchema,
  };
  const paths: Json = {};
  const latest = new Map<string, ModelEntry>();
  for (const e of entries) latest.set(e.name, e);

  for (const e of latest.values()) {
    const id = e.name.replace(/[^A-Za-z0-9]/g, "_");
    const served = e.served;
    const example = served.example;
    let exampleResult: unknown = {};
    let exampleExplain: unknown = {};
    try {
      const { data, nrow } = served.encode([example]);
      exampleResult = served.toResults(served.predictMatrix(data, nrow), nrow)[0];
      exampleExplain = served.explain(example);
    } catch {
      // The spec's example did not validate: document the shapes without one.
    }
    const record = { ...served.recordSchema, example };
    delete (record as Json).$schema;
    schemas[`${id}_Record`] = record;
    schemas[`${id}_Prediction`] = { ...schemaOf(exampleResult), example: exampleResult };
    schemas[`${id}_Explanation`] = { ...schemaOf(exampleExplain), example: exampleExplain };
    const columnar = Object.fromEntries(Object.entries(example).map(([k, v]) => [k, [v, v]]));
    schemas[`${id}_Batch`] = {
      description: "Records as an array, as {records: [...]}, or columnar ({field: [values...]})",
      oneOf: [
        { type: "array", items: { $ref: `#/components/schemas/${id}_Record` } },
        {
          type: "object",
          required: ["records"],
          properties: { records: { type: "array", items: { $ref: `#/components/schemas/${id}_Record` } } },
        },
        { type: "object", additionalProperties: { type: "array" }, example: columnar },
      ],
      example: [example, example],
    };
    schemas[`${id}_BatchResult`] = {
      type: "object",
      required: ["predictions"],
      properties: {
        predictions: { type: "array", items: { $ref: `#/components/schemas/${id}_Prediction` } },
      },
      example: { predictions: [exampleResult, exampleResult] },
    };
    const fieldsText = served.fields
      .map((f) => `\`${f.name}\` (${f.type}${f.categories ? `: ${f.categories.join(", ")}` : ""})`)
      .join(", ");
    const tag = `model ${e.name}`;
    const bases = [`/models/${e.name}`];
    if (opts.defaultModel === e.name) bases.unshift("");
    for (const base of bases) {
      const suffix = base ? ` (${e.name})` : "";
      paths[`${base}/predict`] = {
        post: {
          tags: [tag],
          summary: `Predict one record${suffix}`,
          description: `One record with the model's fields: ${fieldsText}.`,
          operationId: `predict_${id}${base ? "_named" : ""}`,
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: `#/components/schemas/${id}_Record` }, example },
            },
          },
          responses: {
            "200": {
              description: "The prediction",
              content: { "application/json": { schema: { $ref: `#/components/schemas/${id}_Prediction` } } },
            },
            ...errors(),
          },
        },
      };
      paths[`${base}/predict/batch`] = {
        post: {
          tags: [tag],
          summary: `Predict many records${suffix}`,
          description: "One result per record, in the order sent.",
          operationId: `predictBatch_${id}${base ? "_named" : ""}`,
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: `#/components/schemas/${id}_Batch` } } },
          },
          responses: {
            "200": {
              description: "One prediction per record",
              content: { "application/json": { schema: { $ref: `#/components/schemas/${id}_BatchResult` } } },
            },
            ...errors(),
          },
        },
      };
      paths[`${base}/explain`] = {
        post: {
          tags: [tag],
          summary: `Explain one prediction (SHAP)${suffix}`,
          description:
            "Per-field SHAP contributions in raw-score space (one-hot columns summed back into their field), " +
            "sorted by magnitude, and the base value. Base value + contributions = raw score.",
          operationId: `explain_${id}${base ? "_named" : ""}`,
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: `#/components/schemas/${id}_Record` }, example },
            },
          },
          responses: {
            "200": {
              description: "The explanation",
              content: { "application/json": { schema: { $ref: `#/components/schemas/${id}_Explanation` } } },
            },
            ...errors(),
          },
        },
      };
    }
  }

  const v2 = (summary: string, extra: Json = {}) => ({
    tags: ["Open Inference Protocol (V2)"],
    summary,
    ...extra,
  });
  const ok = (description: string) => ({ "200": { description, content: { "application/json": {} } } });
  const nameParam = {
    name: "name",
    in: "path",
    required: true,
    schema: { type: "string", enum: [...latest.keys()] },
  };
  const versionParam = { name: "version", in: "path", required: true, schema: { type: "string" } };
  const tensor: Json = {
    type: "object",
    required: ["name", "shape", "datatype", "data"],
    properties: {
      name: { type: "string" },
      shape: { type: "array", items: { type: "integer" } },
      datatype: { type: "string", enum: V2_DATATYPES },
      parameters: { type: "object" },
      data: { type: "array" },
    },
  };
  schemas.V2InferenceRequest = {
    type: "object",
    required: ["inputs"],
    properties: {
      id: { type: "string" },
      parameters: { type: "object" },
      inputs: { type: "array", items: tensor },
      outputs: {
        type: "array",
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string", enum: ["predict", "predict_proba", "raw", "leaf", "contrib"] },
          },
        },
      },
    },
  };
  schemas.V2InferenceResponse = {
    type: "object",
    required: ["model_name", "outputs"],
    properties: {
      model_name: { type: "string" },
      model_version: { type: "string" },
      id: { type: "string" },
      parameters: { type: "object" },
      outputs: { type: "array", items: tensor },
    },
  };
  const first = [...latest.values()][0];
  const inferExample = first
    ? {
        id: "1",
        inputs: first.served.fields.map((f) => ({
          name: f.name,
          shape: [1],
          datatype: f.categories ? "BYTES" : "FP64",
          data: [first.served.example[f.name]],
        })),
        outputs: [{ name: "predict" }],
      }
    : undefined;
  const infer = (summary: string, params: Json[]) => ({
    post: v2(summary, {
      parameters: params,
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { $ref: "#/components/schemas/V2InferenceRequest" },
            example: inferExample,
          },
        },
      },
      responses: {
        "200": {
          description: "Inference response",
          content: { "application/json": { schema: { $ref: "#/components/schemas/V2InferenceResponse" } } },
        },
        ...errors(true),
      },
    }),
  });
  paths["/v2"] = { get: v2("Server metadata", { responses: ok("name, version, extensions") }) };
  paths["/v2/health/live"] = { get: v2("Server live", { security: [], responses: ok("{ live: true }") }) };
  paths["/v2/health/ready"] = {
    get: v2("Server ready", {
      security: [],
      responses: { ...ok("{ ready: true }"), "503": { description: "Not ready" } },
    }),
  };
  paths["/v2/models/{name}"] = {
    get: v2("Model metadata", {
      parameters: [nameParam],
      responses: { ...ok("Model metadata"), ...errors(true) },
    }),
  };
  paths["/v2/models/{name}/versions/{version}"] = {
    get: v2("Model metadata (version)", {
      parameters: [nameParam, versionParam],
      responses: { ...ok("Model metadata"), ...errors(true) },
    }),
  };
  paths["/v2/models/{name}/ready"] = {
    get: v2("Model ready", { parameters: [nameParam], responses: ok("{ name, ready }") }),
  };
  paths["/v2/models/{name}/versions/{version}/ready"] = {
    get: v2("Model ready (version)", {
      parameters: [nameParam, versionParam],
      responses: ok("{ name, ready }"),
    }),
  };
  paths["/v2/models/{name}/infer"] = infer("Inference", [nameParam]);
  paths["/v2/models/{name}/versions/{version}/infer"] = infer("Inference (version)", [
    nameParam,
    versionParam,
  ]);
  paths["/v2/repository/models/{name}/load"] = {
    post: v2("Reload a model from disk (the old one keeps serving if the new file is broken)", {
      parameters: [nameParam],
      responses: { ...ok("Reloaded"), ...errors(true) },
    }),
  };
  const ops = (summary: string, description: string) => ({
    get: { tags: ["operations"], summary, security: [], responses: ok(description) },
  });
  paths["/healthz"] = ops("Liveness", "The process is up");
  paths["/readyz"] = ops("Readiness", "200 when every model is loaded, else 503");
  paths["/metrics"] = {
    get: {
      tags: ["operations"],
      summary: "Prometheus metrics",
      responses: { "200": { description: "text/plain" } },
    },
  };

  return {
    openapi: "3.1.0",
    info: {
      title: opts.title,
      version: opts.version,
      description:
        "LightGBM models served by lightgbm-node. Bad input gets a 4xx JSON error naming each bad field; " +
        "never a 200 with an error inside.",
    },
    paths,
    components: {
      schemas,
      ...(opts.auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
    ...(opts.auth ? { security: [{ bearer: [] }] } : {}),
  };
}
