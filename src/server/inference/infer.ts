/**
 * One Open Inference Protocol request against a model, whatever carried it (REST JSON, REST binary,
 * gRPC): inputs → encoded rows → the requested outputs. Two input layouts: one tensor per field of the
 * model ([n] or [n, 1]; encoded by the model's encoder, which names each bad field and row), or one
 * [n, numFeatures] tensor of already encoded features. `predict` and `predict_proba` come from the
 * model's named results through the micro-batcher (shared with /predict); `raw`, `leaf` and `contrib`
 * from the model's matrix API.
 */
import type { ColumnarInput } from "../../bundle/encoder.js";
import type { PredictionResult } from "../../bundle/output.js";
import type { PredictType } from "../../engines/engine.js";
import { ValidationError } from "../../errors.js";
import type { Predictions } from "../predictions.js";
import type { ModelEntry, ModelRepository, PredictionRoute } from "../registry.js";
import { checkV2Response } from "../response-budget.js";
import { checkWork } from "../work-budget.js";
import { isClassifier, OUTPUT_NAMES, type OutputName, outputsOf } from "./metadata.js";
import { InferenceError, type InputTensor, type OutputTensor, quote, showShape, where } from "./tensors.js";

export interface InferRequest {
  id?: string;
  inputs: InputTensor[];
  /** Requested outputs by name; undefined: every output the model declares. */
  outputs?: string[];
}

export interface InferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: OutputTensor[];
}

export interface InferContext {
  predictions: Predictions;
  requestId: string;
  route: PredictionRoute;
  /** performance.now() when the request arrived (for the prediction log's latency). */
  t0: number;
  /** Largest response the request may make (its estimate is checked before any prediction). */
  maxResponseBytes: number;
  /** Longest engine time its leaf/contrib outputs may take (estimated before any of it runs). */
  maxWorkMs: number;
  /** Whether an output goes back as binary data (REST's extension; gRPC: always about that size). */
  binary: (output: string) => boolean;
}

/** The model (and version) a request names, or a 404 naming what is missing. */
export function entryOf(repo: ModelRepository, name: string, version?: string): ModelEntry {
  const entry = repo.get(name, version);
  if (!entry) {
    throw new InferenceError(
      version === undefined
        ? `model ${quote(name)} not found`
        : `model ${quote(name)} version ${quote(version)} not found`,
      404,
    );
  }
  return entry;
}

export async function infer(
  repo: ModelRepository,
  name: string,
  version: string | undefined,
  request: InferRequest,
  ctx: InferContext,
): Promise<InferResponse> {
  const entry = repo.acquire(entryOf(repo, name, version));
  try {
    const outputs = requestedOutputs(entry, request.outputs);
    const { data, nrow, input } = encodeInputs(entry, request.inputs);
    checkV2Response(
      entry.model,
      outputs,
      nrow,
      ctx.binary,
      ctx.maxResponseBytes,
      request.outputs === undefined,
    );
    checkWork(entry.model, outputs, nrow, ctx.maxWorkMs);
    const tensors: OutputTensor[] = [];
    let results: PredictionResult[] | undefined;
    for (const out of outputs) {
      if (out === "predict" || out === "predict_proba") {
        results ??= await entry.batcher.predictEncoded(data, nrow);
        tensors.push(out === "predict" ? predictTensor(entry, results) : probaTensor(entry, results));
      } else {
        tensors.push(await matrixTensor(entry, out, data, nrow));
      }
    }
    if (results) ctx.predictions.many(entry, ctx.requestId, ctx.route, input, results, ctx.t0);
    else ctx.predictions.rows(entry, ctx.route, nrow);
    return {
      model_name: entry.name,
      model_version: entry.version,
      ...(request.id ? { id: request.id } : {}),
      outputs: tensors,
    };
  } finally {
    repo.release(entry);
  }
}

function requestedOutputs(entry: ModelEntry, requested: string[] | undefined): OutputName[] {
  const declared = outputsOf(entry.model).map((o) => o.name as OutputName);
  if (requested === undefined) return declared;
  if (requested.length > declared.length) {
    throw new InferenceError(
      `${requested.length} outputs requested; model ${entry.name} has ${declared.length}: ${declared.join(", ")}`,
    );
  }
  const seen = new Set<string>();
  return requested.map((o) => {
    if (!declared.includes(o as OutputName)) {
      const why = (OUTPUT_NAMES as readonly string[]).includes(o) ? " (it is not a classifier)" : "";
      throw new InferenceError(
        `output ${quote(o)} is not an output of model ${entry.name}${why}: ${declared.join(", ")}`,
      );
    }
    if (seen.has(o)) throw new InferenceError(`output ${quote(o)} is requested twice`);
    seen.add(o);
    return o as OutputName;
  });
}

interface Encoded {
  data: Float64Array;
  nrow: number;
  /** What the prediction log records as the request's input (feature rows made only if it is asked). */
  input: ColumnarInput | (() => { features: number[] }[]);
}

function encodeInputs(entry: ModelEntry, inputs: InputTensor[]): Encoded {
  const model = entry.model;
  const nf = model.info.numFeatures;
  if (inputs.length === 0) throw new InferenceError("inputs must hold at least one tensor");
  const names = new Set<string>();
  for (const t of inputs) {
    if (names.has(t.name)) throw new InferenceError(`${where(t.name)} is given twice`);
    names.add(t.name);
  }
  const fields = new Set(model.spec.fields.map((f) => f.name));
  const first = inputs[0];
  if (inputs.length === 1 && first.shape.length === 2 && !fields.has(first.name)) {
    return featureMatrix(first, nf);
  }
  const columns: Record<string, unknown[]> = {};
  let n: number | undefined;
  for (const t of inputs) {
    if (!fields.has(t.name)) {
      throw new InferenceError(
        `${where(t.name)} is not a field of model ${entry.name} (fields: ${[...fields].join(", ")}; ` +
          `or send one [n, ${nf}] tensor of encoded features)`,
      );
    }
    if (!(t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1))) {
      throw new InferenceError(`${where(t.name)}: shape must be [n] or [n, 1], got ${showShape(t.shape)}`);
    }
    if (n !== undefined && t.shape[0] !== n) {
      throw new InferenceError(`${where(t.name)}: ${t.shape[0]} rows, other inputs have ${n}`);
    }
    n = t.shape[0];
    if (n === 0) throw new InferenceError(NO_ROWS(t.name));
    if (t.datatype === "BYTES" || t.datatype === "BOOL") columns[t.name] = Array.from(t.values);
    else {
      // A floating-point NaN (binary data has no null) is a missing value, as null is in JSON.
      const col = new Array<unknown>(t.values.length);
      for (let i = 0; i < col.length; i++) {
        const v = t.values[i];
        col[i] = typeof v === "number" && Number.isNaN(v) ? null : v;
      }
      columns[t.name] = col;
    }
  }
  try {
    const { data, nrow } = model.encode(columns);
    return { data, nrow, input: columns };
  } catch (err) {
    if (err instanceof ValidationError) throw new InferenceError(err.message);
    throw err;
  }
}

/** Zero rows: a request with nothing to predict is refused, as an empty /predict/batch is. */
const NO_ROWS = (name: string) =>
  `${where(name)}: the tensor holds no rows (its first dimension is 0): send at least one`;

function featureMatrix(t: InputTensor, nf: number): Encoded {
  if (t.datatype === "BYTES") throw new InferenceError(`${where(t.name)}: a feature matrix must be numeric`);
  if (t.shape[1] !== nf) {
    throw new InferenceError(`${where(t.name)}: shape must be [n, ${nf}] (the model's ${nf} features)`);
  }
  const nrow = t.shape[0];
  if (nrow === 0) throw new InferenceError(NO_ROWS(t.name));
  const data = new Float64Array(t.values.length);
  for (let i = 0; i < data.length; i++) {
    const v = t.values[i];
    data[i] = v === null ? Number.NaN : typeof v === "boolean" ? Number(v) : (v as number);
  }
  const input = () =>
    Array.from({ length: nrow }, (_, r) => ({ features: Array.from(data.subarray(r * nf, (r + 1) * nf)) }));
  return { data, nrow, input };
}

function predictTensor(entry: ModelEntry, results: PredictionResult[]): OutputTensor {
  const declared = outputsOf(entry.model)[0];
  const data = results.map((r) => ("prediction" in r ? r.prediction : r.value));
  return { name: "predict", datatype: declared.datatype, shape: [results.length], data };
}

function probaTensor(entry: ModelEntry, results: PredictionResult[]): OutputTensor {
  if (!isClassifier(entry.model))
    throw new InferenceError(`predict_proba needs a classifier; ${entry.name} is not one`);
  const k = Math.max(2, entry.model.info.numClasses);
  const data = new Float64Array(results.length * k);
  results.forEach((r, i) => {
    if ("probability" in r) {
      data[i * 2] = 1 - r.probability;
      data[i * 2 + 1] = r.probability;
    } else if ("probabilities" in r) data.set(r.probabilities, i * k);
  });
  return { name: "predict_proba", datatype: "FP64", shape: [results.length, k], data };
}

const TYPE_OF: Record<"raw" | "leaf" | "contrib", PredictType> = {
  raw: "raw",
  leaf: "leaf",
  contrib: "contrib",
};

async function matrixTensor(
  entry: ModelEntry,
  name: "raw" | "leaf" | "contrib",
  data: Float64Array,
  nrow: number,
): Promise<OutputTensor> {
  const type = TYPE_OF[name];
  const width = entry.model.outputWidth({ type });
  const out = await entry.model.predictAsync(data, { type });
  return { name, datatype: name === "leaf" ? "INT32" : "FP64", shape: [nrow, width], data: out };
}
