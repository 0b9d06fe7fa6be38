/**
 * What the model page shows of one model (GET /models/{name}/card), shared by the server route
 * (src/server/routes/page.ts) and the page's script. Types only.
 */
import type { ExplainResult, PredictionResult } from "../../bundle/output.js";
import type { FieldSpec, Spec, Task } from "../../bundle/spec.js";

export interface ModelCard {
  name: string;
  version: string;
  /** sha256 of model.txt's bytes. */
  sha256: string;
  engine: string;
  loadedAt: string;
  task: Task;
  objective: string;
  numIterations: number;
  numFeatures: number;
  numClasses: number;
  target?: Spec["target"];
  /** Where the spec came from: the bundle's spec.json, or derived from a bare model.txt. */
  specSource: "bundle" | "model";
  absentFields: "error" | "missing";
  fields: FieldSpec[];
  /** `lgbm train`'s record: data, split, parameters, held-out metrics. */
  training?: Spec["training"];
  /** `lgbm bundle`'s record: the model file, the data, the evaluation. */
  origin?: Spec["origin"];
  /** The reference statistics' source (the drift panel compares live traffic with it). */
  reference?: { source: string; rows: number };
  /** Gain importance per field, largest first (null when the model text has no split gains). */
  importance: { field: string; gain: number; share: number; splits: number }[] | null;
  /** A typical record (medians, most common categories): the form's first values. */
  example: Record<string, unknown>;
}

/** POST /models/{name}/what-if: a record's prediction and its explanation, in one answer. */
export interface WhatIf {
  prediction: PredictionResult;
  explanation: ExplainResult;
}
