import { type buildLayout, KIND_CATEGORICAL } from "../../src/model-text/layout.js";

/** Whether the table walk takes a model: no linear leaves, categorical bitsets of one word (0 .. 31). */
export function walkable(layout: ReturnType<typeof buildLayout>): boolean {
  if (layout.anyLinear) return false;
  for (let i = 0; i < layout.feat.length; i++)
    if (layout.kind[i] === KIND_CATEGORICAL && layout.catWords[i] > 1) return false;
  return true;
}
