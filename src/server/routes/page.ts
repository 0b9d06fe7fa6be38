/**
 * The model page, for people: `GET /` (the model; with a repository, the list of models) and
 * `GET /models/{name}` serve one page, a shell whose script (src/server/page/, built into dist/assets)
 * reads the model's card, tries records and shows live drift through the server's own routes:
 *
 *   GET  /models/{name}/card      what the model is: task, version, sha256, the spec's fields, training
 *                                 data and held-out metrics, gain importance per field, a typical record
 *   POST /models/{name}/what-if   a record's prediction and its SHAP explanation in one answer, from the
 *                                 model's own pipeline (as /predict and /explain), not counted as traffic:
 *                                 no drift window, prediction log or per-class count sees a person's tries
 *   GET  /drift/{name}            the rolling window's drift (src/drift/fastify-plugin.ts)
 *
 * The shell, its script, styles and icon hold nothing of any model, so they are public (http/auth.ts)
 * and a browser can open the page and ask for an API key; the card, what-if and drift routes need it.
 * On where docs are on (the profiles'), with the docs pages' headers (same-origin scripts and styles only).
 */
import { readFileSync } from "node:fs";
import type { FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from "fastify";
import { fieldImportance } from "../../bundle/importance.js";
import type { InputRecord } from "../../bundle/schema.js";
import { typicalRecord } from "../../bundle/typical.js";
import { ValidationError } from "../../errors.js";
import { resolveModelFile } from "../../model.js";
import { readAsset } from "../assets.js";
import { HttpError } from "../http/errors.js";
import type { ModelCard, WhatIf } from "../page/card.js";
import type { ModelEntry, ModelRepository } from "../registry.js";
import { AUTH_ERRORS, errors, type Schema } from "../schemas/common.js";
import { type ModelDoc, predictRouteSchemas } from "../schemas/predict.js";

export interface PageRoutesOptions {
  repo: ModelRepository;
  /** The models the docs describe: their record schemas document what-if's body. */
  docs: ModelDoc[];
  /** helmet's headers for the page (security-headers.ts), as the docs pages get. */
  pageHeaders: onRequestHookHandler;
}

type Named = { Params: { name: string }; Body: unknown };

const hidden = { schema: { hide: true } };

/** The shell: the same for every model and for the list, so it tells nothing to a caller without a key. */
const SHELL = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Model</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/page/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/page/model-page.css">
<script src="/page/model-page.js" defer></script></head>
<body><noscript><p>This page needs JavaScript. The model's description is at
<code>/models/{name}/card</code>, live drift at <a href="/drift">/drift</a>, the API at <a href="/docs">/docs</a>.</p></noscript>
<div id="app"></div></body></html>`;

const modelParams = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", description: "The model's name" } },
};

const open: Schema = { type: "object", additionalProperties: true };

const cardSchema = {
  tags: ["model page"],
  summary: "What a model is, for its page",
  description:
    "Task, version, sha256, the spec's fields (types, ranges, categories), training data and held-out " +
    "metrics (`training`, or `origin` for `lgbm bundle`), gain importance per field, and a typical record " +
    "(medians and most common values of the reference statistics).",
  params: modelParams,
  response: {
    200: {
      type: "object",
      required: [
        "name",
        "version",
        "sha256",
        "engine",
        "loadedAt",
        "task",
        "objective",
        "numIterations",
        "numFeatures",
        "numClasses",
        "specSource",
        "absentFields",
        "fields",
        "importance",
        "example",
      ],
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        sha256: { type: "string" },
        engine: { type: "string" },
        loadedAt: { type: "string", format: "date-time" },
        task: { type: "string", enum: ["binary", "multiclass", "regression"] },
        objective: { type: "string" },
        numIterations: { type: "integer" },
        numFeatures: { type: "integer" },
        numClasses: { type: "integer" },
        target: open,
        specSource: { type: "string", enum: ["bundle", "model"] },
        absentFields: { type: "string", enum: ["error", "missing"] },
        fields: { type: "array", items: open, description: "spec.json's fields, in input order" },
        training: open,
        origin: open,
        reference: {
          type: "object",
          required: ["source", "rows"],
          properties: { source: { type: "string" }, rows: { type: "integer" } },
        },
        importance: {
          type: ["array", "null"],
          items: {
            type: "object",
            required: ["field", "gain", "share", "splits"],
            properties: {
              field: { type: "string" },
              gain: { type: "number", description: "Total gain of the splits on the field's columns" },
              share: { type: "number", description: "Share of all fields' gain" },
              splits: { type: "integer" },
            },
          },
        },
        example: open,
      },
    },
    ...errors(404, ...AUTH_ERRORS),
  },
};

/** What-if's schemas: the record of /predict, the answers of /predict and /explain side by side. */
function whatIfSchema(docs: ModelDoc[]) {
  const s = predictRouteSchemas(docs, true);
  return {
    tags: ["model page"],
    summary: "Try a record: its prediction and explanation, not counted as traffic",
    description:
      "The model page's call: the answers of /predict and /explain for one record, from the same pipeline. " +
      "Unlike /predict it feeds no drift window, prediction log or per-class count: trying records is " +
      "not traffic.",
    params: s.predict.params,
    body: s.predict.body,
    response: {
      200: {
        type: "object",
        required: ["prediction", "explanation"],
        properties: { prediction: s.predict.response[200], explanation: s.explain.response[200] },
      },
      ...errors(400, 404, 413, 415, 422, ...AUTH_ERRORS),
    },
  };
}

/** Checks only that the body is one record (an object); the model's encoder validates its fields. */
const oneRecord =
  ({ httpPart }: { httpPart?: string }) =>
  (body: unknown) => {
    if (httpPart !== "body" || (body !== null && typeof body === "object" && !Array.isArray(body)))
      return true;
    return {
      error: new ValidationError([
        { field: "", message: "expected one record (a JSON object of field values)" },
      ]),
    };
  };

/** A model's card: made once per loaded model (a reload makes a new entry, and a new card). */
function makeCard(entry: ModelEntry): ModelCard {
  const { model } = entry;
  const spec = model.spec;
  let importance: ModelCard["importance"] = null;
  try {
    importance = fieldImportance(spec, readFileSync(resolveModelFile(entry.path).modelFile, "utf8")) ?? null;
  } catch {
    // The file changed or went away since it was loaded: the card goes without importance.
  }
  return {
    name: entry.name,
    version: entry.version,
    sha256: entry.sha256,
    engine: model.engine.name,
    loadedAt: entry.loadedAt,
    task: spec.task,
    objective: model.info.objective,
    numIterations: model.info.numIterations,
    numFeatures: model.info.numFeatures,
    numClasses: model.info.numClasses,
    ...(spec.target ? { target: spec.target } : {}),
    specSource: model.specSource,
    absentFields: spec.absentFields ?? "missing",
    fields: spec.fields,
    ...(spec.training ? { training: spec.training } : {}),
    ...(spec.origin ? { origin: spec.origin } : {}),
    ...(spec.reference ? { reference: { source: spec.reference.source, rows: spec.reference.rows } } : {}),
    importance,
    example: typicalRecord(spec),
  };
}

export const pageRoutes: FastifyPluginAsync<PageRoutesOptions> = async (app, opts) => {
  const { repo } = opts;
  const cards = new WeakMap<ModelEntry, ModelCard>();

  const entryFor = (name: string): ModelEntry => {
    const entry = repo.get(name);
    if (!entry) throw new HttpError(404, `no model named ${JSON.stringify(name)}`, "ERR_NO_MODEL");
    return entry;
  };

  // The shell and its files, with the pages' headers.
  await app.register(async (pages) => {
    pages.addHook("onRequest", opts.pageHeaders);
    const asset = (file: string, type: string) => {
      const body = readAsset(`page/${file}`);
      pages.get(`/page/${file}`, hidden, async (_req, reply) => {
        reply.header("content-type", type);
        reply.header("cache-control", "no-cache"); // revalidated: a new version of the package changes it
        return body;
      });
    };
    asset("model-page.js", "application/javascript; charset=utf-8");
    asset("model-page.css", "text/css; charset=utf-8");
    asset("icon.svg", "image/svg+xml");
    const shell = async (_req: FastifyRequest, reply: { header(k: string, v: string): unknown }) => {
      reply.header("content-type", "text/html; charset=utf-8");
      return SHELL;
    };
    pages.get("/", hidden, shell);
    // Any name gets the shell (whether a model has that name is the card's answer, behind the key).
    pages.get("/models/:name", hidden, shell);
  });

  app.get<Named>("/models/:name/card", { schema: cardSchema }, async (req) => {
    const entry = entryFor(req.params.name);
    let card = cards.get(entry);
    if (!card) {
      card = makeCard(entry);
      cards.set(entry, card);
    }
    return card;
  });

  app.post<Named>(
    "/models/:name/what-if",
    { schema: whatIfSchema(opts.docs), validatorCompiler: oneRecord },
    async (req): Promise<WhatIf> => {
      const entry = repo.acquire(entryFor(req.params.name));
      try {
        const record = req.body as InputRecord;
        return { prediction: entry.model.predict(record), explanation: entry.model.explain(record) };
      } finally {
        repo.release(entry);
      }
    },
  );
};
