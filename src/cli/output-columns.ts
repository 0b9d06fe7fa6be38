/** Names of the output CSV columns of `lgbm predict`, by predict type and model shape. */
import type { ModelInfo, PredictOptions } from "../engines/engine.js";
import { iterationRange } from "../engines/engine.js";

export function outputColumns(info: ModelInfo, options: PredictOptions): string[] {
  const k = info.numClasses;
  const perClass = (base: string) => (k === 1 ? [base] : Array.from({ length: k }, (_, i) => `${base}_${i}`));
  switch (options.type ?? "normal") {
    case "normal":
      return perClass("prediction");
    case "raw":
      return perClass("raw");
    case "leaf": {
      const { start, count } = iterationRange(
        info.numIterations,
        options.startIteration,
        options.numIterations,
      );
      const cols: string[] = [];
      for (let it = start; it < start + count; it++) {
        for (let t = 0; t < info.numTreePerIteration; t++)
          cols.push(`leaf_${it * info.numTreePerIteration + t}`);
      }
      return cols;
    }
    case "contrib": {
      const names = [...info.featureNames.map((f) => `${f}_contrib`), "bias"];
      if (info.numTreePerIteration === 1) return names;
      return Array.from({ length: info.numTreePerIteration }, (_, c) =>
        names.map((n) => `class_${c}_${n}`),
      ).flat();
    }
  }
}
