/**
 * Open Inference Protocol (KServe V2) REST: request parsing and response building for /infer and the
 * metadata objects. Two input layouts: one tensor of shape [n, numFeatures] (encoded features, used as
 * the model's matrix), or one tensor per field ([n] or [n, 1]; BYTES for categories) encoded by the SDK
 * (model.encode of columnar input). Outputs: predict, predict_proba, raw, leaf, contrib.
 */
import type { PredictType } from "../engines/engine.js";
import { ValidationError } from "../errors.js";
import type { ModelEntry } from "./registry.js";
import type { Result } from "./sdk.js";

export class V2Error extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export const OUTPUT_NAMES = ["predict", "predict_proba", "raw", "leaf", "contrib"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

const NUMERIC_TYPES = new Set([
  "BOOL",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "FP16",
  "FP32",
  "FP64",
]);
/** Every tensor datatype the infer endpoint accepts (the OpenAPI document lists the same). */
export const V2_DATATYPES = [...NUMERIC_TYPES, "BYTES"];

interface Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: Tensor[];
  outputs: OutputName[];
}

function flatten(data: unknown[], out: unknown[] = []): unknown[] {
  for (const v of data) {
    if (Array.isArray(v)) flatten(v, out);
    else out.push(v);
  }
  return out;
}

/** Checks the request object's structure (not the values: the SDK does that). */
export function parseInferRequest(body: unknown): InferRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new V2Error("the inference request must be a JSON object with an inputs array");
  }
  const b = body as Record<string, unknown>;
  if (b.id !== undefined && typeof b.id !== "string") throw new V2Error("id must be a string");
  if (
    b.parameters !== undefined &&
    (typeof b.parameters !== "object" || b.parameters === null || Array.isArray(b.parameters))
  ) {
    throw new V2Error("parameters must be an object");
  }
  if (!Array.isArray(b.inputs) || b.inputs.length === 0)
    throw new V2Error("inputs must be a non-empty array");
  const inputs = b.inputs.map((t, i): Tensor => {
    if (t === null || typeof t !== "object" || Array.isArray(t))
      throw new V2Error(`inputs[${i}] must be an object`);
    const x = t as Record<string, unknown>;
    const where = typeof x.name === "string" ? `input ${JSON.stringify(x.name)}` : `inputs[${i}]`;
    if (typeof x.name !== "string" || x.name === "")
      throw new V2Error(`${where}: name must be a non-empty string`);
    if (!Array.isArray(x.shape) || x.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw new V2Error(`${where}: shape must be an array of non-negative integers`);
    }
    if (typeof x.datatype !== "string" || !(NUMERIC_TYPES.has(x.datatype) || x.datatype === "BYTES")) {
      throw new V2Error(`${where}: datatype must be one of ${V2_DATATYPES.join(", ")}`);
    }
    if (x.datatype === "FP16")
      throw new V2Error(`${where}: FP16 is not supported in JSON; send FP32 or FP64`);
    if (!Array.isArray(x.data)) throw new V2Error(`${where}: data must be an array`);
    const data = flatten(x.data);
    const shape = x.shape as number[];
    const size = shape.reduce((a, d) => a * d, 1);
    if (data.length !== size) {
      throw new V2Error(
        `${where}: shape [${shape.join(", ")}] holds ${size} values but data has ${data.length}`,
      );
    }
    return { name: x.name, shape, datatype: x.datatype, data };
  });
  const names = new Set<string>();
  for (const t of inputs) {
    if (names.has(t.name)) throw new V2Error(`input ${JSON.stringify(t.name)} is given twice`);
    names.add(t.name);
  }
  let outputs: OutputName[] = ["predict"];
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs) || b.outputs.length === 0)
      throw new V2Error("outputs must be a non-empty array");
    outputs = b.outputs.map((o, i) => {
      const name = (o as { name?: unknown } | null)?.name;
      if (typeof name !== "string" || !OUTPUT_NAMES.includes(name as OutputName)) {
        throw new V2Error(`outputs[${i}].name must be one of ${OUTPUT_NAMES.join(", ")}`);
      }
      return name as OutputName;
    });
  }
  return {
    id: b.id as string | undefined,
    parameters: b.parameters as Record<string, unknown>,
    inputs,
    outputs,
  };
}

function numericValue(t: Tensor, v: unknown, i: number): number {
  if (typeof v === "number") return v;
  if (v === null) return Number.NaN;
  if (t.datatype === "BOOL" && typeof v === "boolean") return v ? 1 : 0;
  throw new V2Error(
    `input ${JSON.stringify(t.name)}: data[${i}] must be a number (${t.datatype}), got ${JSON.stringify(v)}`,
  );
}

/** The encoded matrix for the request: either the one [n, numFeatures] tensor, or the SDK-encoded fields. */
export function encodeInputs(entry: ModelEntry, req: InferRequest): { data: Float64Array; nrow: number } {
  const served = entry.served;
  const nf = served.info.numFeatures;
  const fieldNames = new Set(served.fields.map((f) => f.name));
  if (req.inputs.length === 1 && req.inputs[0].shape.length === 2 && !fieldNames.has(req.inputs[0].name)) {
    const t = req.inputs[0];
    if (t.datatype === "BYTES")
      throw new V2Error(`input ${JSON.stringify(t.name)}: a feature matrix must be numeric`);
    if (t.shape[1] !== nf) {
      throw new V2Error(
        `input ${JSON.stringify(t.name)}: shape must be [n, ${nf}] (the model's ${nf} features)`,
      );
    }
    const data = new Float64Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = numericValue(t, t.data[i], i);
    return { data, nrow: t.shape[0] };
  }
  const columns: Record<string, unknown[]> = {};
  let n: number | undefined;
  for (const t of req.inputs) {
    if (!fieldNames.has(t.name)) {
      throw new V2Error(
        `input ${JSON.stringify(t.name)} is not a field of model ${entry.name} (fields: ${[...fieldNames].join(", ")}; ` +
          `or send one [n, ${nf}] tensor of encoded features)`,
      );
    }
    if (!(t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1))) {
      throw new V2Error(`input ${JSON.stringify(t.name)}: shape must be [n] or [n, 1]`);
    }
    if (n !== undefined && t.shape[0] !== n) {
      throw new V2Error(`input ${JSON.stringify(t.name)}: ${t.shape[0]} rows, other inputs have ${n}`);
    }
    n = t.shape[0];
    columns[t.name] =
      t.datatype === "BYTES"
        ? t.data
        : t.datatype === "BOOL"
          ? t.data.map((v) => (typeof v === "boolean" ? v : v))
          : t.data;
  }
  try {
    return served.encode(columns);
  } catch (err) {
    if (err instanceof ValidationError) throw new V2Error(err.message);
    throw err;
  }
}

interface OutTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

const TYPE_OF: Record<Exclude<OutputName, "predict" | "predict_proba">, PredictType> = {
  raw: "raw",
  leaf: "leaf",
  contrib: "contrib",
};

/** Runs the requested outputs. `predict` goes through the micro-batcher; the others are one engine call each. */
export async function runOutputs(
  entry: ModelEntry,
  data: Float64Array,
  nrow: number,
  outputs: OutputName[],
): Promise<{ tensors: OutTensor[]; results?: Result[] }> {
  const served = entry.served;
  const tensors: OutTensor[] = [];
  let results: Result[] | undefined;
  for (const name of outputs) {
    if (name === "predict") {
      results = await entry.batcher.predictEncoded(data, nrow);
      const values = results.map((r) => ("prediction" in r ? r.prediction : r.value));
      const allInt =
        values.every((v) => typeof v === "number" && Number.isInteger(v)) &&
        !results.some((r) => "value" in r);
      const datatype = values.every((v) => typeof v === "number") ? (allInt ? "INT64" : "FP64") : "BYTES";
      tensors.push({ name, datatype, shape: [nrow], data: values });
    } else if (name === "predict_proba") {
      const info = served.info;
      if (info.objective !== "binary" && info.numClasses < 2) {
        throw new V2Error(`predict_proba needs a classifier; model ${entry.name} is ${info.objective}`);
      }
      const out = await served.predictMatrixAsync(data, nrow, { type: "normal" });
      if (info.objective === "binary") {
        const probs = new Array<number>(nrow * 2);
        for (let r = 0; r < nrow; r++) {
          probs[2 * r] = 1 - out[r];
          probs[2 * r + 1] = out[r];
        }
        tensors.push({ name, datatype: "FP64", shape: [nrow, 2], data: probs });
      } else tensors.push({ name, datatype: "FP64", shape: [nrow, info.numClasses], data: Array.from(out) });
    } else {
      const type = TYPE_OF[name];
      const width = served.outputWidth({ type });
      const out = await served.predictMatrixAsync(data, nrow, { type });
      tensors.push({
        name,
        datatype: name === "leaf" ? "INT32" : "FP64",
        shape: [nrow, width],
        data: Array.from(out),
      });
    }
  }
  return { tensors, results };
}

export function modelMetadata(entry: ModelEntry, versions: string[]): Record<string, unknown> {
  const served = entry.served;
  const info = served.info;
  const k = info.numClasses;
  const classifier = info.objective === "binary" || k > 1;
  // The predict output's type is the type of the model's labels (numbers, or names from the spec).
  let predictType = classifier ? "INT64" : "FP64";
  try {
    const r = served.toResults(new Float64Array(k).fill(1 / Math.max(k, 2)), 1)[0];
    if (typeof r.prediction === "string") predictType = "BYTES";
  } catch {
    // keep the default
  }
  const outputs: OutTensor[] = [
    { name: "predict", datatype: predictType, shape: [-1], data: [] },
    ...(classifier
      ? [{ name: "predict_proba", datatype: "FP64", shape: [-1, Math.max(2, k)], data: [] }]
      : []),
    { name: "raw", datatype: "FP64", shape: [-1, k], data: [] },
    { name: "leaf", datatype: "INT32", shape: [-1, served.outputWidth({ type: "leaf" })], data: [] },
    { name: "contrib", datatype: "FP64", shape: [-1, served.outputWidth({ type: "contrib" })], data: [] },
  ];
  return {
    name: entry.name,
    versions,
    platform: "lightgbm",
    inputs: served.fields.map((f) => ({
      name: f.name,
      datatype: f.categories ? "BYTES" : f.type === "boolean" ? "BOOL" : "FP64",
      shape: [-1],
    })),
    outputs: outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
  };
}
