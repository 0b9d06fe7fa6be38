// The model-text parser is bounded: a declared size is never trusted before the values are there, no
// work or memory beyond the text's own size, and trees too deep for the engines' recursive code (TreeSHAP,
// onnxruntime) are refused. Every failure is a ModelParseError, quickly.
import { describe, expect, it } from "vitest";
import { createEngine } from "../src/engines/create.js";
import { ENGINE_NAMES } from "../src/engines/engine.js";
import { ModelParseError } from "../src/model-text/errors.js";
import { MAX_TREE_DEPTH, parseModel } from "../src/model-text/parse.js";
import { writeModelText } from "../src/model-text/write.js";
import { withTreeSizes } from "./helpers/tree-sizes.js";
import { loadZooCase } from "./helpers/zoo.js";

/** A model of one chain-shaped tree `depth` levels deep (node i: leaf i on the left, node i+1 on the right). */
function chainModel(depth: number, nf = 2): string {
  const idx = Array.from({ length: depth }, (_, i) => i);
  const tree = [
    `num_leaves=${depth + 1}`,
    "num_cat=0",
    `split_feature=${idx.map((i) => i % nf).join(" ")}`,
    `threshold=${idx.join(" ")}`,
    `decision_type=${idx.map(() => 2).join(" ")}`,
    `left_child=${idx.map((i) => ~i).join(" ")}`,
    `right_child=${idx.map((i) => (i + 1 < depth ? i + 1 : ~depth)).join(" ")}`,
    `leaf_value=${[...idx, depth].map((i) => (i % 7) / 10).join(" ")}`,
    `leaf_count=${[...idx, depth].map(() => 1).join(" ")}`,
    `internal_count=${idx.map((i) => depth + 1 - i).join(" ")}`,
    "is_linear=0",
    "shrinkage=1",
  ].join("\n");
  const names = Array.from({ length: nf }, (_, i) => `f${i}`);
  return withTreeSizes(
    [
      "tree",
      "version=v4",
      "num_class=1",
      "num_tree_per_iteration=1",
      "label_index=0",
      `max_feature_idx=${nf - 1}`,
      "objective=regression",
      `feature_names=${names.join(" ")}`,
      `feature_infos=${names.map(() => "none").join(" ")}`,
      "tree_sizes=0",
      "",
      `Tree=0\n${tree}\n\n`,
      "end of trees",
      "",
    ].join("\n"),
  );
}

function refused(text: string, pattern: RegExp): void {
  const t0 = performance.now();
  const rss0 = process.memoryUsage().rss;
  expect(() => parseModel(text)).toThrow(ModelParseError);
  expect(() => parseModel(text)).toThrow(pattern);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(process.memoryUsage().rss - rss0).toBeLessThan(200e6);
}

describe("declared sizes", () => {
  const c = loadZooCase("binary");
  const set = (key: string, value: string) =>
    c.modelText.replace(new RegExp(`^${key}=.*$`, "m"), `${key}=${value}`);

  it("num_leaves=2147483647 (arrays are checked against the values present, nothing is sized by it)", () => {
    refused(set("num_leaves", "2147483647"), /leaf_value has \d+ values, expected 2147483647/);
    refused(set("num_leaves", "1e9"), /not an integer/);
    refused(set("num_leaves", "99999999999999999999"), /out of range/);
  });

  it("num_cat, max_feature_idx, num_class and tree_sizes far beyond the text", () => {
    refused(set("num_cat", "2147483647"), /cat_boundaries/);
    refused(set("max_feature_idx", "268435454"), /feature_names has \d+ names/);
    refused(set("max_feature_idx", "2147483646"), /too large/);
    refused(set("num_class", "2147483647"), /num_tree_per_iteration|num_class/);
    refused(set("tree_sizes", "99999999999 1 2"), /tree_sizes/);
    refused(
      set("tree_sizes", c.modelText.match(/^tree_sizes=(.*)$/m)![1].replace(/^\d+/, "1")),
      /tree_sizes says/,
    );
  });

  it("a model without trees cannot declare classes nothing else bounds", () => {
    const empty = (k: number) =>
      `tree\nversion=v4\nnum_class=${k}\nnum_tree_per_iteration=${k}\nlabel_index=0\nmax_feature_idx=0\nobjective=multiclass num_class:${k}\nfeature_names=a\nfeature_infos=none\ntree_sizes=\n\nend of trees\n`;
    refused(empty(2147483647), /without trees/);
    expect(parseModel(empty(1).replace("multiclass num_class:1", "regression")).trees).toHaveLength(0);
  });

  it("a number beyond the double range", () => {
    refused(c.modelText.replace(/^(threshold=)\S+/m, "$11e400"), /out of the double range/);
  });

  it("a 300,000-digit token that is not a number fails in linear time (no regex backtracking)", () => {
    for (const tail of ["x", ".5x", "e5x"]) {
      refused(c.modelText.replace(/^(threshold=)\S+/m, `$1${"1".repeat(300_000)}${tail}`), /is not a number/);
    }
    refused(
      c.modelText.replace(/^(feature_infos=)\S+/m, `$1${"1:".repeat(100_000)}x`),
      /feature_infos entry/,
    );
  });
});

describe("tree depth", () => {
  it(`a chain ${MAX_TREE_DEPTH + 1} levels deep is refused, quickly`, () => {
    refused(chainModel(MAX_TREE_DEPTH + 1), new RegExp(`${MAX_TREE_DEPTH + 1} levels deep`));
    refused(chainModel(100_000), /levels deep/);
  });

  it.each([...ENGINE_NAMES])(
    `a chain ${MAX_TREE_DEPTH} levels deep loads and predicts every type on the %s engine`,
    async (engine) => {
      const text = chainModel(MAX_TREE_DEPTH);
      expect(writeModelText(parseModel(text))).toContain(`num_leaves=${MAX_TREE_DEPTH + 1}`);
      const e = await createEngine({ text }, { engine });
      try {
        const X = Float64Array.from([1e9, 1e9, 7.5, Number.NaN]);
        for (const type of ["normal", "raw", "leaf", "contrib"] as const) {
          let out: Float64Array;
          try {
            out = await e.predictAsync(X, 2, { type });
          } catch (err) {
            // the onnx engine has no leaf or SHAP outputs: a typed refusal
            expect((err as Error).name).toBe("OnnxUnsupportedError");
            continue;
          }
          expect(out.length).toBe(2 * e.outputWidth({ type }));
          // row 0 goes right to the bottom; row 1 (7.5, NaN) stops at node 1 (NaN read as 0 <= 1)
          if (type === "leaf") expect(Array.from(out)).toEqual([MAX_TREE_DEPTH, 1]);
        }
      } finally {
        e.dispose();
      }
    },
    60_000,
  );
});
