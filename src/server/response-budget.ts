/**
 * The response budget: no request may make a response far larger than itself. What a prediction request
 * will answer is known before any work is done (rows × the width of each output the model gives), so its
 * size is estimated from the request and the model, and a request over `--max-response-bytes` is refused
 * before encoding or predicting: 413 on the classic routes, 400 over V2 REST (the protocol's status for a
 * bad request), RESOURCE_EXHAUSTED over gRPC.
 *
 * The estimates are upper bounds of the usual case, per value as JSON writes it: a double at most 24
 * characters with its comma (`-0.0056376489104931204,`), an integer 4 (leaf indexes and class numbers
 * below 1,000: trees rarely have more leaves), a text label its length and quotes; binary outputs take
 * their element size.
 */
import type { Model } from "../model.js";
import { HttpError } from "./http/errors.js";
import { type OutputName, outputsOf, type TensorMetadata } from "./inference/metadata.js";
import { ELEMENT_BYTES, InferenceError } from "./inference/tensors.js";

const JSON_DOUBLE = 24;
const JSON_INTEGER = 4;
/** Per tensor or result: names, braces, shape. */
const OVERHEAD = 96;

/** An over-budget request: which limit, and what to do about it. */
export class ResponseTooLargeError extends InferenceError {
  readonly code = "ERR_RESPONSE_TOO_LARGE";
}

export function showBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function longestLabel(model: Model): number {
  const classes = model.spec.target?.classes ?? [];
  let n = 0;
  for (const c of classes) n = Math.max(n, JSON.stringify(c).length);
  return n;
}

/** Per model: each output's bytes per row, as JSON and as binary data (computed once). */
const rowBytes = new WeakMap<Model, Map<string, number>>();

/** Bytes of one row of a V2 output, as JSON or as binary data. */
export function v2RowBytes(model: Model, name: OutputName, binary: boolean): number {
  let sizes = rowBytes.get(model);
  if (!sizes) {
    sizes = new Map();
    for (const o of outputsOf(model)) {
      sizes.set(`${o.name}/json`, rowSize(model, o, false));
      sizes.set(`${o.name}/binary`, rowSize(model, o, true));
    }
    rowBytes.set(model, sizes);
  }
  return sizes.get(`${name}/${binary ? "binary" : "json"}`) ?? 0;
}

function rowSize(model: Model, meta: TensorMetadata, binary: boolean): number {
  const width = meta.shape.length > 1 ? meta.shape[1] : 1;
  if (meta.datatype === "BYTES") return (binary ? 4 : 1) + longestLabel(model);
  if (binary) return width * ELEMENT_BYTES[meta.datatype];
  const perValue = meta.datatype === "FP64" || meta.datatype === "FP32" ? JSON_DOUBLE : JSON_INTEGER;
  return width * perValue;
}

/** Refuses (400) a V2 response over the budget, naming the outputs and their per-row sizes. */
export function checkV2Response(
  model: Model,
  outputs: readonly OutputName[],
  nrow: number,
  binary: (name: string) => boolean,
  maxBytes: number,
  defaulted: boolean,
): void {
  let total = OVERHEAD;
  for (const o of outputs) total += OVERHEAD + nrow * v2RowBytes(model, o, binary(o));
  if (total <= maxBytes) return;
  const parts = outputs.map((o) => `${o} ${showBytes(v2RowBytes(model, o, binary(o)))}`).join(", ");
  throw new ResponseTooLargeError(
    `the response would take about ${showBytes(total)} (${nrow} rows; per row: ${parts}), over the server's limit of ${showBytes(maxBytes)} (--max-response-bytes): send fewer rows, or ask for fewer outputs${defaulted ? " (without outputs, every output the model declares is returned, leaf and contrib included)" : ""}`,
  );
}

/** Bytes of one /predict/batch result as JSON. */
export function resultBytes(model: Model): number {
  switch (model.spec.task) {
    case "binary":
      return 17 + JSON_INTEGER + 16 + JSON_DOUBLE; // {"prediction":1,"probability":0.99…},
    case "multiclass":
      return 36 + longestLabel(model) + Math.max(2, model.info.numClasses) * JSON_DOUBLE;
    default:
      return 12 + JSON_DOUBLE; // {"value":…},
  }
}

/** Bytes of one /explain answer as JSON: a contribution per field, per class for multiclass. */
export function explainBytes(model: Model): number {
  let perClass = OVERHEAD;
  for (const f of model.spec.fields) perClass += 22 + JSON.stringify(f.name).length + JSON_DOUBLE;
  const k = model.spec.task === "multiclass" ? Math.max(2, model.info.numClasses) : 1;
  return k * (perClass + longestLabel(model));
}

/** The classic routes' refusal (413, like a body over its limit) of a response over the budget. */
export function classicTooLarge(what: string, bytes: number, maxBytes: number, hint: string): HttpError {
  return new HttpError(
    413,
    `the response would take about ${showBytes(bytes)} (${what}), over the server's limit of ${showBytes(maxBytes)} (--max-response-bytes): ${hint}`,
    "ERR_RESPONSE_TOO_LARGE",
  );
}
