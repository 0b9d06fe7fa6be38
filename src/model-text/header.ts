/**
 * Reads the header of LightGBM's text model format (the key=value lines before "Tree=0"): the objective
 * line with its parameters and the shape of the model, which the C API does not expose as such.
 * No `node:` imports: used by the browser-safe entry too.
 */
export interface ModelHeader {
  version: string;
  numClass: number;
  numTreePerIteration: number;
  maxFeatureIdx: number;
  objectiveLine: string;
  objective: string;
  featureNames: string[];
  featureInfos: string[];
  averageOutput: boolean;
  /** Every key=value line of the header, as written. */
  raw: Record<string, string>;
}

/** The header part of a model text: everything before the first tree. */
export function headerText(text: string): string {
  const at = text.startsWith("Tree=") ? 0 : text.indexOf("\nTree=");
  return at < 0 ? text : text.slice(0, at);
}

export function parseHeader(text: string): ModelHeader {
  const raw: Record<string, string> = {};
  for (const line of headerText(text).split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) raw[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    else if (line.trim() === "average_output") raw.average_output = "";
  }
  const objectiveLine = raw.objective ?? "";
  const int = (key: string, fallback: number) => {
    const v = Number.parseInt(raw[key] ?? "", 10);
    return Number.isFinite(v) ? v : fallback;
  };
  return {
    version: raw.version ?? "",
    numClass: int("num_class", 1),
    numTreePerIteration: int("num_tree_per_iteration", 1),
    maxFeatureIdx: int("max_feature_idx", -1),
    objectiveLine,
    objective: objectiveLine.split(/\s+/)[0] ?? "",
    featureNames: raw.feature_names ? raw.feature_names.split(" ") : [],
    featureInfos: raw.feature_infos ? raw.feature_infos.split(" ") : [],
    averageOutput: "average_output" in raw,
    raw,
  };
}
