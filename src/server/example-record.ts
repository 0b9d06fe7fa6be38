/**
 * A record the model accepts, made from its spec: a category's first value, false for a boolean, the
 * middle of a number's training range (else 0). The docs show it (with the model's real answer to it),
 * and the micro-batcher times the model on it.
 */
import type { InputRecord } from "../bundle/schema.js";
import type { Model } from "../model.js";

export function exampleRecord(model: Model): InputRecord {
  const out: InputRecord = {};
  for (const f of model.spec.fields) {
    if (f.type === "category") out[f.name] = f.values[0];
    else if (f.type === "boolean") out[f.name] = false;
    else if (f.range) {
      const mid = (f.range[0] + f.range[1]) / 2;
      out[f.name] = f.type === "integer" ? Math.round(mid) : mid;
    } else out[f.name] = 0;
  }
  return out;
}
