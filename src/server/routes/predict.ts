/**
 * The classic prediction routes: POST /predict (one record), /predict/batch (records or columns) and
 * /explain (SHAP per field), under /models/:name for every model and at the root when the server has
 * one model. The body's envelope is checked here (a record is an object; a batch an array, {records}
 * or columns); the records themselves by the model's encoder, whose ValidationError names each bad
 * field and row (422).
 */
import type { FastifyPluginCallback, FastifyRequest } from "fastify";
import type { ColumnarInput } from "../../bundle/encoder.js";
import type { PredictionResult } from "../../bundle/output.js";
import type { InputRecord } from "../../bundle/schema.js";
import { ValidationError } from "../../errors.js";
import { HttpError } from "../http/errors.js";
import { quote } from "../inference/tensors.js";
import type { Predictions } from "../predictions.js";
import type { ModelEntry, ModelRepository } from "../registry.js";
import { classicTooLarge, explainBytes, resultBytes } from "../response-budget.js";
import { type ModelDoc, predictRouteSchemas } from "../schemas/predict.js";

export interface PredictRoutesOptions {
  repo: ModelRepository;
  predictions: Predictions;
  /** The models the docs describe (what the server started with). */
  docs: ModelDoc[];
  /** The model served at the root (/predict): the only one, if there is only one. */
  defaultModel?: string;
  /** See ServerConfig.maxResponseBytes. */
  maxResponseBytes: number;
}

type Named = { Params: { name: string }; Body: unknown };

const NOT_A_RECORD = "expected one record (a JSON object of field values)";

/** The envelope of a one-record body; the encoder validates the fields. */
function recordEnvelope(body: unknown): true | { error: ValidationError } {
  if (body !== null && typeof body === "object" && !Array.isArray(body)) return true;
  const message = Array.isArray(body)
    ? "expected one record (a JSON object); send arrays of records to /predict/batch"
    : NOT_A_RECORD;
  return { error: new ValidationError([{ field: "", message }]) };
}

/** The envelope of a batch: an array of records, {"records": [...]}, or columns. */
function batchEnvelope(body: unknown): true | { error: ValidationError } {
  return batchInput(body) === undefined
    ? {
        error: new ValidationError([
          {
            field: "",
            message: 'expected an array of records, {"records": [...]}, or columns ({"field": [values...]})',
          },
        ]),
      }
    : true;
}

/** Records in a batch body (the longest column for columns). */
function batchRows(input: InputRecord[] | ColumnarInput): number {
  if (Array.isArray(input)) return input.length;
  let n = 0;
  for (const col of Object.values(input)) n = Math.max(n, (col as unknown[]).length);
  return n;
}

function batchInput(body: unknown): InputRecord[] | ColumnarInput | undefined {
  if (Array.isArray(body)) return body as InputRecord[];
  if (body !== null && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (Array.isArray(b.records) && Object.keys(b).length === 1) return b.records as InputRecord[];
    const values = Object.values(b);
    if (values.length > 0 && values.every(Array.isArray)) return b as ColumnarInput;
  }
  return undefined;
}

/** A route's validator: `check` for the body (params are strings the router matched). */
const bodyOnly =
  (check: (body: unknown) => true | { error: ValidationError }) =>
  ({ httpPart }: { httpPart?: string }) =>
    httpPart === "body" ? check : () => true;

/** A one-record request's validation issues without the row index (there is only one row). */
function singleRecordIssues(err: unknown): never {
  if (err instanceof ValidationError) throw new ValidationError(err.issues.map(({ row: _row, ...i }) => i));
  throw err;
}

export const predictRoutes: FastifyPluginCallback<PredictRoutesOptions> = (app, opts, done) => {
  const { repo, predictions, maxResponseBytes } = opts;

  const entryFor = (name: string | undefined): ModelEntry => {
    const entry = name === undefined ? undefined : repo.get(name);
    if (!entry) throw new HttpError(404, `no model named ${quote(String(name))}`, "ERR_NO_MODEL");
    return entry;
  };

  /** After one /predict prediction: counts, drift, the prediction log; releases the entry. */
  const predicted = (
    req: FastifyRequest,
    entry: ModelEntry,
    rec: InputRecord,
    result: PredictionResult,
    t0: number,
  ) => {
    try {
      predictions.one(entry, req.id, rec, result, t0);
      return result;
    } finally {
      repo.release(entry);
    }
  };

  const routes = (
    prefix: string,
    docs: ModelDoc[],
    nameOf: (req: FastifyRequest<Named>) => string | undefined,
  ) => {
    const schemas = predictRouteSchemas(docs, prefix !== "");
    // The hottest route, written out. Not an async function: a record the batcher answers at once is
    // returned as it is (fastify sends a plain value), and only a batched one goes through a promise.
    app.post<Named>(
      `${prefix}/predict`,
      { schema: schemas.predict, validatorCompiler: bodyOnly(recordEnvelope) },
      (req) => {
        const t0 = performance.now();
        const rec = req.body as InputRecord;
        const entry = repo.acquire(entryFor(nameOf(req)));
        let out: PredictionResult | Promise<PredictionResult>;
        try {
          out = entry.batcher.predictOne(rec);
        } catch (err) {
          repo.release(entry);
          singleRecordIssues(err);
        }
        if (out instanceof Promise) {
          return out.then(
            (result) => predicted(req, entry, rec, result, t0),
            (err) => {
              repo.release(entry);
              singleRecordIssues(err);
            },
          );
        }
        return predicted(req, entry, rec, out, t0);
      },
    );
    app.post<Named>(
      `${prefix}/predict/batch`,
      { schema: schemas.batch, validatorCompiler: bodyOnly(batchEnvelope) },
      async (req) => {
        const t0 = performance.now();
        const input = batchInput(req.body) as InputRecord[] | ColumnarInput;
        const entry = repo.acquire(entryFor(nameOf(req)));
        try {
          const rows = batchRows(input);
          const bytes = 64 + rows * resultBytes(entry.model);
          if (bytes > maxResponseBytes) {
            throw classicTooLarge(
              `${rows} records`,
              bytes,
              maxResponseBytes,
              "send fewer records per request",
            );
          }
          const results = await entry.batcher.predict(input);
          predictions.many(entry, req.id, "batch", input, results, t0);
          return { predictions: results };
        } finally {
          repo.release(entry);
        }
      },
    );
    app.post<Named>(
      `${prefix}/explain`,
      { schema: schemas.explain, validatorCompiler: bodyOnly(recordEnvelope) },
      async (req) => {
        const entry = repo.acquire(entryFor(nameOf(req)));
        try {
          const bytes = explainBytes(entry.model);
          if (bytes > maxResponseBytes) {
            throw classicTooLarge(
              `one contribution per field${entry.model.spec.task === "multiclass" ? " and class" : ""}`,
              bytes,
              maxResponseBytes,
              "this model's explanations are larger than the server allows",
            );
          }
          return entry.model.explain(req.body as InputRecord);
        } catch (err) {
          singleRecordIssues(err);
        } finally {
          repo.release(entry);
        }
      },
    );
  };

  routes("/models/:name", opts.docs, (req) => req.params.name);
  const root = opts.defaultModel;
  if (root !== undefined)
    routes(
      "",
      opts.docs.filter((d) => d.name === root),
      () => root,
    );
  done();
};
