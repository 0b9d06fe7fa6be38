/**
 * Gain importance from LightGBM's text format: per feature, the total gain (loss reduction) of the
 * splits on it and their count, over every tree, as LightGBM's `feature_importance("gain")` and
 * `("split")` count them. Read from each tree's `split_feature=` and `split_gain=` lines, without
 * parsing the rest of the model. Browser-safe.
 */
export interface FeatureImportance {
  gain: Float64Array;
  splits: Float64Array;
}

/** Undefined when a tree's two lines disagree or name a feature outside [0, numFeatures). */
export function gainImportance(text: string, numFeatures: number): FeatureImportance | undefined {
  const gain = new Float64Array(numFeatures);
  const splits = new Float64Array(numFeatures);
  let features: string[] | undefined;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end).trimEnd();
    at = end + 1;
    if (line.startsWith("Tree=")) features = undefined;
    else if (line.startsWith("split_feature=")) features = words(line.slice(14));
    else if (line.startsWith("split_gain=")) {
      const gains = words(line.slice(11));
      if (!features || gains.length !== features.length) return undefined;
      for (let i = 0; i < gains.length; i++) {
        const f = Number(features[i]);
        const g = Number(gains[i]);
        if (!Number.isInteger(f) || f < 0 || f >= numFeatures || !Number.isFinite(g)) return undefined;
        gain[f] += g;
        splits[f] += 1;
      }
      features = undefined;
    } else if (line === "end of trees") break;
  }
  return { gain, splits };
}

function words(s: string): string[] {
  return s.split(" ").filter((w) => w !== "");
}
