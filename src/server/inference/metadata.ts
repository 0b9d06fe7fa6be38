/**
 * What the Open Inference Protocol tells about the server and each model: one input per field of the
 * model's spec (FP64 numbers, INT64 integers, BOOL booleans, BYTES categories), and the outputs the
 * model declares, which a request without `outputs` gets all of.
 */
import { createRequire } from "node:module";
import type { Model } from "../../model.js";
import type { Datatype } from "./tensors.js";

const require = createRequire(import.meta.url);

export const SERVER_NAME = "lightgbm-node";
export const SERVER_VERSION = (() => {
  try {
    return (require("../../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** The outputs a model can give, in the order a request without `outputs` gets them. */
export const OUTPUT_NAMES = ["predict", "predict_proba", "raw", "leaf", "contrib"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function isClassifier(model: Model): boolean {
  return model.spec.task !== "regression";
}

/** The datatype of the `predict` output: the model's class labels (or its values, for regression). */
export function predictDatatype(model: Model): Datatype {
  switch (model.spec.task) {
    case "binary":
      return "INT64"; // 0 or 1
    case "multiclass": {
      const labels = model.spec.target?.classes ?? [];
      if (labels.some((c) => typeof c === "string")) return "BYTES";
      return labels.every((c) => Number.isInteger(c)) ? "INT64" : "FP64";
    }
    default:
      return "FP64";
  }
}

export function inputsOf(model: Model): TensorMetadata[] {
  return model.spec.fields.map((f) => ({
    name: f.name,
    datatype:
      f.type === "category"
        ? "BYTES"
        : f.type === "boolean"
          ? "BOOL"
          : f.type === "integer"
            ? "INT64"
            : "FP64",
    shape: [-1],
  }));
}

export function outputsOf(model: Model): TensorMetadata[] {
  const k = model.info.numClasses;
  return [
    { name: "predict", datatype: predictDatatype(model), shape: [-1] },
    ...(isClassifier(model)
      ? [{ name: "predict_proba", datatype: "FP64" as const, shape: [-1, Math.max(2, k)] }]
      : []),
    { name: "raw", datatype: "FP64", shape: [-1, k] },
    { name: "leaf", datatype: "INT32", shape: [-1, model.outputWidth({ type: "leaf" })] },
    { name: "contrib", datatype: "FP64", shape: [-1, model.outputWidth({ type: "contrib" })] },
  ];
}

export function serverMetadata(extensions: string[]) {
  return { name: SERVER_NAME, version: SERVER_VERSION, extensions };
}

export function modelMetadata(name: string, versions: string[], model: Model) {
  return { name, versions, platform: "lightgbm", inputs: inputsOf(model), outputs: outputsOf(model) };
}
