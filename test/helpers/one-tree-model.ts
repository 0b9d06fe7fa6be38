/**
 * The text of a one-tree regression model over two features (a, b) from its node arrays, in LightGBM's
 * format; leaf i is worth i * 0.001 - 1. `cat` adds categorical bitsets (cat_boundaries, cat_threshold).
 */
export function oneTreeModel(tree: {
  split: number[];
  threshold: (number | string)[];
  decision: number[];
  left: number[];
  right: number[];
  cat?: { boundaries: number[]; bits: number[] };
}): string {
  const leaves = tree.split.length + 1;
  return [
    "tree",
    "version=v4",
    "num_class=1",
    "num_tree_per_iteration=1",
    "label_index=0",
    "max_feature_idx=1",
    "objective=regression",
    "feature_names=a b",
    "feature_infos=none none",
    "",
    "Tree=0",
    `num_leaves=${leaves}`,
    `num_cat=${tree.cat ? tree.cat.boundaries.length - 1 : 0}`,
    `split_feature=${tree.split.join(" ")}`,
    `threshold=${tree.threshold.join(" ")}`,
    `decision_type=${tree.decision.join(" ")}`,
    `left_child=${tree.left.join(" ")}`,
    `right_child=${tree.right.join(" ")}`,
    `leaf_value=${Array.from({ length: leaves }, (_, i) => (i * 0.001 - 1).toString()).join(" ")}`,
    ...(tree.cat
      ? [`cat_boundaries=${tree.cat.boundaries.join(" ")}`, `cat_threshold=${tree.cat.bits.join(" ")}`]
      : []),
    "shrinkage=1",
    "",
    "end of trees",
    "",
  ].join("\n");
}
