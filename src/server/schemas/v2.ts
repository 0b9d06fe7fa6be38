/**
 * Schemas of the Open Inference Protocol's REST routes, after KServe's rest_predict_v2.yaml and Triton's
 * binary tensor data and model repository extensions. Errors are `{ "error": "..." }`.
 */
import { OUTPUT_NAMES } from "../inference/metadata.js";
import { DATATYPES } from "../inference/tensors.js";
import type { Schema } from "./common.js";

const parameters: Schema = {
  type: "object",
  description: "name → value pairs (string, number or boolean)",
  additionalProperties: { type: ["string", "number", "boolean"] },
};

const tensorShape: Schema = { type: "array", items: { type: "integer", minimum: 0 } };

export const v2Schemas: Schema[] = [
  {
    $id: "V2Error",
    type: "object",
    required: ["error"],
    properties: { error: { type: "string", description: "What went wrong" } },
  },
  {
    $id: "V2MetadataTensor",
    type: "object",
    required: ["name", "datatype", "shape"],
    properties: {
      name: { type: "string" },
      datatype: { type: "string", enum: [...DATATYPES] },
      shape: { type: "array", items: { type: "integer" }, description: "-1: any size" },
    },
  },
  {
    $id: "V2ServerMetadata",
    type: "object",
    required: ["name", "version", "extensions"],
    properties: {
      name: { type: "string" },
      version: { type: "string" },
      extensions: { type: "array", items: { type: "string" } },
    },
  },
  {
    $id: "V2ModelMetadata",
    type: "object",
    required: ["name", "platform", "inputs", "outputs"],
    properties: {
      name: { type: "string" },
      versions: { type: "array", items: { type: "string" } },
      platform: { type: "string" },
      inputs: {
        type: "array",
        items: { $ref: "V2MetadataTensor#" },
        description:
          "One tensor per field of the model ([n]; or send one [n, numFeatures] tensor of encoded features)",
      },
      outputs: {
        type: "array",
        items: { $ref: "V2MetadataTensor#" },
        description: "What the model gives; a request without outputs gets all of them",
      },
    },
  },
  {
    $id: "V2InferenceRequest",
    type: "object",
    required: ["inputs"],
    description:
      'JSON; or, with the binary tensor data extension, this JSON followed by the tensors\' bytes (header "Inference-Header-Content-Length": the JSON\'s length; an input\'s "binary_data_size" parameter: its bytes)',
    properties: {
      id: { type: "string" },
      parameters: {
        ...parameters,
        description: 'e.g. "binary_data_output": true for every output as binary data',
      },
      inputs: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          required: ["name", "shape", "datatype"],
          properties: {
            name: { type: "string", minLength: 1 },
            shape: tensorShape,
            datatype: { type: "string", enum: [...DATATYPES] },
            parameters: {
              ...parameters,
              description: '"binary_data_size": bytes of this tensor after the JSON',
            },
            data: { type: "array", description: "Row-major values, flat or nested (absent for binary data)" },
          },
        },
      },
      outputs: {
        type: "array",
        maxItems: OUTPUT_NAMES.length,
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            parameters: { ...parameters, description: '"binary_data": true for this output as binary data' },
          },
        },
      },
    },
  },
  {
    $id: "V2InferenceResponse",
    type: "object",
    required: ["model_name", "outputs"],
    properties: {
      model_name: { type: "string" },
      model_version: { type: "string" },
      id: { type: "string" },
      parameters,
      outputs: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "shape", "datatype"],
          properties: {
            name: { type: "string" },
            shape: tensorShape,
            datatype: { type: "string", enum: [...DATATYPES] },
            parameters,
            data: { type: "array", description: "Row-major, flat (absent for binary data)" },
          },
        },
      },
    },
  },
  {
    $id: "V2RepositoryIndex",
    type: "array",
    items: {
      type: "object",
      required: ["name", "state"],
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        state: { type: "string", enum: ["READY", "UNAVAILABLE"] },
        reason: { type: "string" },
      },
    },
  },
];

const v2Errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description:
          s === 400
            ? "A bad request (each bad input named), malformed JSON, or a response or work over the server's budget"
            : s === 401
              ? "Missing or unknown API key (when keys are configured)"
              : s === 404
                ? "No such model (or version)"
                : s === 413
                  ? "Body over the size limit"
                  : s === 415
                    ? "A charset other than UTF-8, or a Content-Encoding"
                    : s === 429
                      ? "Rate limit exceeded, or too many failed API keys from this address"
                      : "Internal error; the request id is in the server log",
        $ref: "V2Error#",
      },
    ]),
  );

const tags = ["Open Inference Protocol (V2)"];
const params = (version: boolean) => ({
  type: "object",
  required: version ? ["name", "version"] : ["name"],
  properties: { name: { type: "string" }, ...(version ? { version: { type: "string" } } : {}) },
});

export const v2RouteSchemas = {
  server: {
    tags,
    summary: "Server metadata",
    response: { 200: { $ref: "V2ServerMetadata#" }, ...v2Errors(401, 429, 500) },
  },
  live: {
    tags,
    summary: "Server live",
    description: "No API key needed.",
    security: [],
    response: { 200: { type: "object", required: ["live"], properties: { live: { type: "boolean" } } } },
  },
  ready: {
    tags,
    summary: "Server ready",
    description:
      "200 once every model is loaded; 503 before that and while shutting down. No API key needed.",
    security: [],
    response: {
      200: {
        description: "Ready",
        type: "object",
        required: ["ready"],
        properties: { ready: { type: "boolean" } },
      },
      503: {
        description: "Not ready",
        type: "object",
        required: ["ready"],
        properties: { ready: { type: "boolean" } },
      },
    },
  },
  modelMetadata: (version: boolean) => ({
    tags,
    summary: version ? "Model metadata (one version)" : "Model metadata",
    params: params(version),
    response: { 200: { $ref: "V2ModelMetadata#" }, ...v2Errors(401, 404, 429, 500) },
  }),
  modelReady: (version: boolean) => ({
    tags,
    summary: version ? "Model ready (one version)" : "Model ready",
    params: params(version),
    response: {
      200: {
        type: "object",
        required: ["name", "ready"],
        properties: { name: { type: "string" }, ready: { type: "boolean" } },
      },
      ...v2Errors(401, 404, 429, 500),
    },
  }),
  infer: (version: boolean) => ({
    tags,
    summary: version ? "Inference (one version)" : "Inference",
    description:
      "Inputs: one tensor per field ([n] or [n, 1]; BYTES for categories), or one [n, numFeatures] tensor of " +
      "encoded features. Outputs by name; without outputs, every output of the model's metadata. Binary tensor " +
      "data both ways (Triton's extension): body = JSON + bytes, Inference-Header-Content-Length = the JSON's length.",
    params: params(version),
    body: { $ref: "V2InferenceRequest#" },
    response: {
      200: {
        description: "The outputs (JSON; or JSON + binary data when an output is asked for as binary data)",
        content: {
          "application/json": { schema: { $ref: "V2InferenceResponse#" } },
          "application/octet-stream": {
            schema: {
              type: "string",
              format: "binary",
              description: "The response JSON, then the binary outputs",
            },
          },
        },
      },
      ...v2Errors(400, 401, 404, 413, 415, 429, 500),
    },
  }),
  index: {
    tags,
    summary: "Model repository index",
    description: "The models on disk: READY when loaded, UNAVAILABLE when not (unloaded, or failed to load).",
    body: {
      type: "object",
      properties: {
        repository_name: { type: "string" },
        ready: { type: "boolean", description: "Only the models ready for inference" },
      },
    },
    response: { 200: { $ref: "V2RepositoryIndex#" }, ...v2Errors(400, 401, 429, 500) },
  },
  load: {
    tags,
    summary: "Load or reload a model from disk",
    description:
      "On every process of the server (every worker with --workers). A file that does not load on some process is loaded on none: the model that was serving stays in place everywhere (400 naming the bundle, the workers and the reason).",
    params: params(false),
    response: {
      200: {
        type: "object",
        required: ["name", "loaded"],
        properties: {
          name: { type: "string" },
          loaded: {
            type: "array",
            items: { type: "string" },
            description: "name/version of each bundle loaded, on every process",
          },
          processes: {
            type: "integer",
            description: "Server processes that loaded it (the workers, with --workers)",
          },
        },
      },
      ...v2Errors(400, 401, 429, 500),
    },
  },
  unload: {
    tags,
    summary: "Unload a model",
    description: "Requests already running finish on it; load brings it back.",
    params: params(false),
    response: {
      200: {
        type: "object",
        required: ["name", "unloaded"],
        properties: { name: { type: "string" }, unloaded: { type: "boolean" } },
      },
      ...v2Errors(401, 404, 429, 500),
    },
  },
};
