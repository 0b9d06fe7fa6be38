/**
 * Global importance per input field: the model's gain importance (src/model-text/importance.ts) with a
 * one-hot field's columns summed into the field, as explanations sum their SHAP values. Browser-safe.
 */
import { gainImportance } from "../model-text/importance.js";
import { fieldWidth, type Spec } from "./spec.js";

export interface FieldImportance {
  field: string;
  /** Total gain of the splits on the field's columns. */
  gain: number;
  /** The gain's share of all fields' (0..1). */
  share: number;
  /** Splits on the field's columns. */
  splits: number;
}

/** Fields by importance, largest gain first; undefined when the model text has no readable gains. */
export function fieldImportance(spec: Spec, modelText: string): FieldImportance[] | undefined {
  const columns = gainImportance(modelText, spec.columns.length);
  if (!columns) return undefined;
  let col = 0;
  let total = 0;
  const fields = spec.fields.map((f) => {
    let gain = 0;
    let splits = 0;
    for (let k = 0; k < fieldWidth(f); k++, col++) {
      gain += columns.gain[col];
      splits += columns.splits[col];
    }
    total += gain;
    return { field: f.name, gain, share: 0, splits };
  });
  for (const f of fields) f.share = total > 0 ? f.gain / total : 0;
  return fields.sort((a, b) => b.gain - a.gain);
}
