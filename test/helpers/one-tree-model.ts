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

/**
 * A model of `trees` copies of a chain tree of `splits` splits over the same two features (thresholds
 * around 0, NaN going left): 64 x 128 = 8,192 splits is the smallest model that gets the walk by default.
 */
export function chainForest(trees: number, splits: number): string {
  const idx = Array.from({ length: splits }, (_, i) => i);
  const tree = oneTreeModel({
    split: idx.map((i) => i % 2),
    threshold: idx.map((i) => i - splits / 2),
    decision: idx.map(() => 2),
    left: idx.map((i) => -(i + 1)),
    right: idx.map((i) => (i + 1 < splits ? i + 1 : -(splits + 1))),
  });
  const start = tree.indexOf("Tree=0");
  const end = tree.indexOf("end of trees");
  const one = tree.slice(start, end);
  const all = Array.from({ length: trees }, (_, t) => one.replace("Tree=0", `Tree=${t}`)).join("");
  return tree.slice(0, start) + all + tree.slice(end);
}
