/** Schemas of the operations routes: probes, the loaded models. */
import type { Schema } from "./common.js";

export const opsSchemas: Schema[] = [
  {
    $id: "ModelInfo",
    type: "object",
    required: ["name", "version", "objective", "engine", "fields", "sha256", "loadedAt"],
    properties: {
      name: { type: "string" },
      version: { type: "string" },
      objective: { type: "string", description: "LightGBM's objective, e.g. binary" },
      engine: { type: "string", enum: ["native", "js", "onnx"] },
      fields: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "type"],
          properties: {
            name: { type: "string" },
            type: { type: "string", enum: ["number", "integer", "boolean", "category"] },
            categories: {
              type: "array",
              items: { type: "string" },
              description: "A category's known values",
            },
          },
        },
      },
      sha256: { type: "string", description: "SHA-256 of model.txt" },
      loadedAt: { type: "string", format: "date-time" },
    },
  },
];

export const healthzSchema = {
  tags: ["operations"],
  summary: "Liveness",
  description: "200 while the process runs. No API key needed, so it tells nothing else.",
  security: [],
  response: {
    200: {
      type: "object",
      required: ["status"],
      properties: { status: { type: "string", const: "ok" } },
    },
  },
};

const readiness = {
  type: "object",
  required: ["status"],
  properties: { status: { type: "string", enum: ["ready", "not ready"] } },
};

export const readyzSchema = {
  tags: ["operations"],
  summary: "Readiness",
  description:
    "200 once every model is loaded; 503 before that and while shutting down. No API key needed, so it tells nothing else (the models: GET /models).",
  security: [],
  response: {
    200: { description: "Ready", ...readiness },
    503: { description: "Not ready, or shutting down", ...readiness },
  },
};

export const metricsSchema = {
  tags: ["operations"],
  summary: "Prometheus metrics",
  description:
    "Requests and latency per route and status, predictions per class, batch sizes, models, drift.",
  produces: ["text/plain"],
  response: {
    200: {
      description: "Prometheus text exposition format",
      content: { "text/plain": { schema: { type: "string" } } },
    },
  },
};

export const modelsSchema = {
  tags: ["operations"],
  summary: "The loaded models",
  response: {
    200: {
      type: "object",
      required: ["models"],
      properties: { models: { type: "array", items: { $ref: "ModelInfo#" } } },
    },
  },
};
