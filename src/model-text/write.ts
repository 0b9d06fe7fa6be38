/**
 * The canonical writer: LightGBM's text model format written from a parsed (validated) model, the way
 * GBDT::SaveModelToString and Tree::ToString lay it out. The native engine hands LightGBM only text
 * written here, never the user's bytes: LightGBM's own reader trusts its input (it throws inside
 * OpenMP regions on a malformed number, which aborts the process), so what it reads must be text it
 * cannot misread. Every value below is a number formatted here or a string the parser checked.
 *
 * Kept: everything LightGBM's loader reads (header, every tree field) and the one training parameter
 * a prediction depends on (`linear_tree`). Dropped: the feature importances (LightGBM recomputes
 * them), the other parameters (training settings) and anything after them (pandas_categorical is
 * read by Python, and by our bundle reader from the original text).
 *
 * No `node:` imports: part of the browser-safe model-text layer.
 */
import { formatDouble, type ParsedModel, type ParsedTree } from "./parse.js";

/** The model as canonical LightGBM text (ASCII apart from feature names; LF line ends). */
export function writeModelText(model: ParsedModel): string {
  const trees = model.trees.map((t, i) => `Tree=${i}\n${writeTree(t)}\n`);
  const head: string[] = [
    "tree",
    "version=v4",
    `num_class=${model.numClass}`,
    `num_tree_per_iteration=${model.numTreePerIteration}`,
    `label_index=${model.labelIndex}`,
    `max_feature_idx=${model.maxFeatureIdx}`,
  ];
  if (model.objectiveLine !== "") head.push(`objective=${model.objectiveLine}`);
  if (model.averageOutput) head.push("average_output");
  head.push(`feature_names=${model.featureNames.join(" ")}`);
  if (model.monotoneConstraints !== null) {
    head.push(`monotone_constraints=${Array.from(model.monotoneConstraints).join(" ")}`);
  }
  // LightGBM requires feature_infos; "none" (no range known) is what it writes for an unused feature.
  const infos = model.featureInfos.length > 0 ? model.featureInfos : model.featureNames.map(() => "none");
  head.push(`feature_infos=${infos.join(" ")}`);
  // tree_sizes lets LightGBM parse the trees in parallel; trees are ASCII, so length is bytes.
  head.push(`tree_sizes=${trees.map((t) => t.length).join(" ")}`);
  // LightGBM reads linear_tree back from the parameters (it refuses SHAP values for such models).
  const params = model.linearTree ? "\nparameters:\n[linear_tree: 1]\nend of parameters\n" : "";
  return `${head.join("\n")}\n\n${trees.join("")}end of trees\n${params}`;
}

function writeTree(t: ParsedTree): string {
  const lines = [
    `num_leaves=${t.numLeaves}`,
    `num_cat=${t.numCat}`,
    `split_feature=${ints(t.splitFeature)}`,
    `split_gain=${doubles(t.splitGain)}`,
    `threshold=${doubles(t.threshold)}`,
    `decision_type=${ints(t.decisionType)}`,
    `left_child=${ints(t.leftChild)}`,
    `right_child=${ints(t.rightChild)}`,
    `leaf_value=${doubles(t.leafValue)}`,
    `leaf_weight=${doubles(t.leafWeight)}`,
    `leaf_count=${ints(t.leafCount)}`,
    `internal_value=${doubles(t.internalValue)}`,
    `internal_weight=${doubles(t.internalWeight)}`,
    `internal_count=${ints(t.internalCount)}`,
  ];
  if (t.numCat > 0) {
    lines.push(`cat_boundaries=${ints(t.catBoundaries)}`, `cat_threshold=${ints(t.catThreshold)}`);
  }
  lines.push(`is_linear=${t.isLinear ? 1 : 0}`);
  if (t.isLinear) {
    lines.push(
      `leaf_const=${doubles(t.leafConst)}`,
      `num_features=${t.leafFeatures.map((f) => f.length).join(" ")}`,
      `leaf_features=${t.leafFeatures
        .map((f) => ints(f))
        .filter((s) => s !== "")
        .join(" ")}`,
      `leaf_coeff=${t.leafCoeff
        .map((c) => doubles(c))
        .filter((s) => s !== "")
        .join(" ")}`,
    );
  }
  lines.push(`shrinkage=${formatDouble(t.shrinkage)}`);
  return `${lines.join("\n")}\n`;
}

// Arrays joined once: measured faster than growing a string value by value.
function ints(a: ArrayLike<number>): string {
  const parts = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) parts[i] = `${a[i]}`;
  return parts.join(" ");
}

function doubles(a: Float64Array): string {
  const parts = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) parts[i] = formatDouble(a[i]);
  return parts.join(" ");
}
