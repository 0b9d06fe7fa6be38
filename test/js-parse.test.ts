/**
 * The text-model parser: one test per kind of malformed file (each must be a ModelParseError with
 * the right line number, never a hang, a crash of another kind or a silently wrong model), plus
 * the accepted variations (v3 header, CRLF, BOM, trailing sections) and a mutation fuzz.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsEngine, ModelParseError, parseModel, parseModelHeader } from "../src/js.js";
import { firstNotIdentical, loadZoo } from "./js-fixtures.js";

const binary = loadZoo("binary");
const catWide = loadZoo("cat_wide");
const multiclass = loadZoo("multiclass");
const linear = loadZoo("linear");

const lines = (t: string) => t.split("\n");

/** 1-based line number of the first line starting with `prefix` at or after line `from`. */
function lineOf(text: string, prefix: string, from = 1): number {
  const ls = lines(text);
  for (let i = from - 1; i < ls.length; i++) if (ls[i].startsWith(prefix)) return i + 1;
  throw new Error(`no line starting with ${prefix}`);
}

/** Replaces the line `field=...` of tree `tree` (or of the header when tree < 0). */
function setField(
  text: string,
  tree: number,
  field: string,
  value: string | null,
): { text: string; line: number } {
  const from = tree < 0 ? 1 : lineOf(text, `Tree=${tree}`);
  const line = lineOf(text, `${field}=`, from);
  const ls = lines(text);
  if (value === null) ls.splice(line - 1, 1);
  else ls[line - 1] = `${field}=${value}`;
  return { text: ls.join("\n"), line };
}

function fieldValue(text: string, tree: number, field: string): string {
  const line = lineOf(text, `${field}=`, tree < 0 ? 1 : lineOf(text, `Tree=${tree}`));
  return lines(text)[line - 1].slice(field.length + 1);
}

function parseError(text: string): ModelParseError {
  try {
    parseModel(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ModelParseError);
    const e = err as ModelParseError;
    expect(Number.isInteger(e.line) && e.line >= 1).toBe(true);
    expect(e.message).toMatch(/^line \d+: /);
    return e;
  }
  throw new Error("expected a ModelParseError, the text parsed");
}

describe("parseModel accepts LightGBM's format", () => {
  it("reads header fields", () => {
    const m = parseModel(multiclass.modelText);
    expect(m.version).toBe("v4");
    expect(m.numClass).toBe(3);
    expect(m.numTreePerIteration).toBe(3);
    expect(m.objective).toBe("multiclass");
    expect(m.objectiveLine).toBe("multiclass num_class:3");
    expect(m.featureNames).toEqual(["Column_0", "Column_1", "Column_2", "Column_3", "Column_4", "Column_5"]);
    expect(m.featureInfos.length).toBe(6);
    expect(m.numIterations * 3).toBe(m.trees.length);
    expect(m.averageOutput).toBe(false);
    expect(parseModel(loadZoo("rf").modelText).averageOutput).toBe(true);
  });

  it("parseModelHeader reads only the header (works on a text cut after the header)", () => {
    const text = multiclass.modelText;
    const head = text.slice(0, text.indexOf("Tree=0"));
    const h = parseModelHeader(head);
    expect(h.numClass).toBe(3);
    expect(h.maxFeatureIdx).toBe(5);
    expect(h.numFeatures).toBe(6);
    expect(h.numTrees).toBe(parseModel(text).trees.length);
    expect(h.objectiveLine).toBe("multiclass num_class:3");
  });

  it("reads categorical bitsets, linear leaves and single-leaf trees", () => {
    const cw = parseModel(catWide.modelText);
    expect(cw.trees.some((t) => t.numCat > 0 && t.catThreshold.length > t.numCat)).toBe(true);
    const lin = parseModel(linear.modelText);
    expect(lin.trees.every((t) => t.isLinear)).toBe(true);
    expect(lin.trees.some((t) => t.leafFeatures.some((f) => f.length > 0))).toBe(true);
    const one = parseModel(loadZoo("single_leaf").modelText);
    expect(one.trees[0].numLeaves).toBe(1);
    expect(one.trees[0].leftChild.length).toBe(0);
  });

  it("accepts version v3 and v2 headers, CRLF line endings and a BOM with the same predictions", () => {
    const base = JsEngine.fromString(binary.modelText).predict(binary.X, binary.nrow, { type: "raw" });
    for (const variant of [
      binary.modelText.replace("version=v4", "version=v3"),
      binary.modelText.replace("version=v4", "version=v2"),
      binary.modelText.replace(/\n/g, "\r\n"),
      `\ufeff${binary.modelText}`,
      binary.modelText.slice(0, binary.modelText.indexOf("feature_importances:")),
    ]) {
      const got = JsEngine.fromString(variant).predict(binary.X, binary.nrow, { type: "raw" });
      expect(firstNotIdentical(got, base)).toBe(-1);
    }
  });

  it("loads from ArrayBuffer and Uint8Array", () => {
    const bytes = new TextEncoder().encode(binary.modelText);
    const base = JsEngine.fromString(binary.modelText).predict(binary.X, binary.nrow);
    for (const buf of [bytes, bytes.buffer.slice(0) as ArrayBuffer]) {
      expect(firstNotIdentical(JsEngine.fromBuffer(buf).predict(binary.X, binary.nrow), base)).toBe(-1);
    }
    expect(() => JsEngine.fromBuffer("x" as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe("malformed models give ModelParseError with a line number", () => {
  it("empty file", () => {
    expect(parseError("").line).toBe(1);
    expect(parseError("\n\n  \n").message).toMatch(/empty/);
  });

  it("binary garbage", () => {
    const bytes = new Uint8Array(4096);
    let s = 12345;
    for (let i = 0; i < bytes.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      bytes[i] = s >>> 24;
    }
    const e = parseError(new TextDecoder().decode(bytes));
    expect(e.line).toBe(1);
    expect(() => JsEngine.fromBuffer(bytes)).toThrow(ModelParseError);
    // a gzip header, a JSON model dump
    expect(parseError("\x1f\x8b\x08\x00garbage").message).toMatch(/not a LightGBM text model/);
    expect(parseError('{"name":"tree","version":"v4"}').line).toBe(1);
  });

  it("truncated file: every cut before 'end of trees' is an error", () => {
    const text = binary.modelText;
    const end = text.indexOf("end of trees");
    const cuts = new Set<number>();
    for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) cuts.add(i + 1);
    for (let i = 0; i < end; i += 97) cuts.add(i);
    for (const cut of cuts) {
      const e = parseError(text.slice(0, cut));
      expect(e.line).toBeGreaterThanOrEqual(1);
    }
    expect(parseError(text.slice(0, end - 1)).message).toMatch(/truncated|end of trees/);
  });

  it("missing header fields", () => {
    for (const field of ["num_class", "max_feature_idx", "feature_names"]) {
      const { text } = setField(binary.modelText, -1, field, null);
      expect(parseError(text).message).toContain(field);
    }
  });

  it("missing tree fields", () => {
    for (const field of [
      "num_leaves",
      "num_cat",
      "leaf_value",
      "left_child",
      "right_child",
      "split_feature",
      "threshold",
    ]) {
      const { text } = setField(binary.modelText, 3, field, null);
      const e = parseError(text);
      expect(e.message).toContain(field);
      expect(e.line).toBeGreaterThan(lineOf(text, "Tree=3"));
    }
    for (const field of ["cat_boundaries", "cat_threshold"]) {
      const { text } = setField(catWide.modelText, 0, field, null);
      expect(parseError(text).message).toContain(field);
    }
  });

  it("arrays of the wrong length", () => {
    for (const field of [
      "leaf_value",
      "threshold",
      "split_feature",
      "decision_type",
      "left_child",
      "leaf_count",
    ]) {
      const v = fieldValue(binary.modelText, 2, field).split(" ");
      const shorter = setField(binary.modelText, 2, field, v.slice(1).join(" "));
      const e = parseError(shorter.text);
      expect(e.line).toBe(shorter.line);
      expect(e.message).toMatch(/expected/);
      const longer = setField(binary.modelText, 2, field, [...v, v[0]].join(" "));
      expect(parseError(longer.text).line).toBe(longer.line);
    }
    const cb = setField(catWide.modelText, 0, "cat_threshold", "1 2");
    expect(parseError(cb.text).line).toBe(cb.line);
  });

  it("child indices out of range", () => {
    const left = fieldValue(binary.modelText, 1, "left_child").split(" ");
    const bad = setField(binary.modelText, 1, "left_child", ["99", ...left.slice(1)].join(" "));
    const e = parseError(bad.text);
    expect(e.line).toBe(bad.line);
    expect(e.message).toMatch(/child 99/);
    const badLeaf = setField(binary.modelText, 1, "left_child", ["-99", ...left.slice(1)].join(" "));
    expect(parseError(badLeaf.text).message).toMatch(/leaf 98/);
  });

  it("cycles and shared subtrees", () => {
    const right = fieldValue(binary.modelText, 0, "right_child").split(" ");
    // a child pointing back at the root
    const cyc = setField(binary.modelText, 0, "right_child", [right[0], "0", ...right.slice(2)].join(" "));
    expect(parseError(cyc.text).message).toMatch(/reached twice|not reachable/);
    // a self loop at node 1
    const self = setField(binary.modelText, 0, "right_child", [right[0], "1", ...right.slice(2)].join(" "));
    expect(parseError(self.text).message).toMatch(/reached twice|not reachable/);
    // two parents for the same leaf
    const left = fieldValue(binary.modelText, 0, "left_child").split(" ");
    const shared = setField(binary.modelText, 0, "left_child", left.map(() => "-1").join(" "));
    expect(parseError(shared.text).message).toMatch(/reached twice|not reachable/);
  });

  it("non-numeric values", () => {
    const cases: [number, string, (v: string[]) => string[]][] = [
      [0, "threshold", (v) => ["abc", ...v.slice(1)]],
      [0, "leaf_value", (v) => ["1.0x", ...v.slice(1)]],
      [0, "split_feature", (v) => ["1.5", ...v.slice(1)]],
      [0, "decision_type", (v) => ["300", ...v.slice(1)]],
      [0, "left_child", (v) => ["0x1", ...v.slice(1)]],
      [0, "num_leaves", () => ["eight"]],
      [-1, "num_class", () => ["1e0"]],
      [-1, "max_feature_idx", () => [""]],
    ];
    for (const [tree, field, edit] of cases) {
      const { text, line } = setField(
        binary.modelText,
        tree,
        field,
        edit(fieldValue(binary.modelText, tree, field).split(" ")).join(" "),
      );
      const e = parseError(text);
      expect(e.line, field).toBe(line);
    }
  });

  it("split feature beyond max_feature_idx, bad categorical index, bad cat_boundaries", () => {
    const sf = fieldValue(binary.modelText, 0, "split_feature").split(" ");
    const badF = setField(binary.modelText, 0, "split_feature", ["6", ...sf.slice(1)].join(" "));
    expect(parseError(badF.text).line).toBe(badF.line);
    const thr = fieldValue(catWide.modelText, 0, "threshold").split(" ");
    const dt = fieldValue(catWide.modelText, 0, "decision_type").split(" ");
    const ci = dt.findIndex((d) => (Number(d) & 1) === 1);
    thr[ci] = "57";
    const badC = setField(catWide.modelText, 0, "threshold", thr.join(" "));
    expect(parseError(badC.text).message).toMatch(/bitset index/);
    const cb = fieldValue(catWide.modelText, 0, "cat_boundaries").split(" ");
    const badB = setField(catWide.modelText, 0, "cat_boundaries", ["1", ...cb.slice(1)].join(" "));
    expect(parseError(badB.text).line).toBe(badB.line);
    // a categorical split in a tree that declares no bitsets
    const dtb = fieldValue(binary.modelText, 0, "decision_type").split(" ");
    const catNoBits = setField(binary.modelText, 0, "decision_type", ["1", ...dtb.slice(1)].join(" "));
    expect(parseError(catNoBits.text).message).toMatch(/categorical/);
  });

  it("linear leaves with inconsistent counts", () => {
    const nf = fieldValue(linear.modelText, 1, "num_features").split(" ");
    const bad = setField(linear.modelText, 1, "num_features", nf.map((x) => String(Number(x) + 1)).join(" "));
    expect(parseError(bad.text).message).toMatch(/leaf_features|leaf_coeff/);
  });

  it("inconsistent model structure", () => {
    // tree indices out of order
    const swapped = binary.modelText.replace("Tree=1\n", "Tree=7\n");
    expect(parseError(swapped).line).toBe(lineOf(binary.modelText, "Tree=1"));
    // trees not a multiple of num_tree_per_iteration (drop the last tree, fix tree_sizes)
    const t = multiclass.modelText;
    const lastTree = t.lastIndexOf("Tree=");
    const dropped = t.slice(0, lastTree) + t.slice(t.indexOf("end of trees"));
    const sizes = fieldValue(t, -1, "tree_sizes").split(" ");
    const fixed = setField(dropped, -1, "tree_sizes", sizes.slice(0, -1).join(" ")).text;
    expect(parseError(fixed).message).toMatch(/multiple of num_tree_per_iteration/);
    expect(parseError(dropped).message).toMatch(/tree_sizes/);
    // duplicate fields
    const dup = binary.modelText.replace("num_cat=0\n", "num_cat=0\nnum_cat=0\n");
    expect(parseError(dup).message).toMatch(/duplicate/);
    // feature_names count
    const names = setField(binary.modelText, -1, "feature_names", "a b c");
    expect(parseError(names.text).line).toBe(names.line);
    // num_tree_per_iteration differing from num_class
    const ntpi = setField(multiclass.modelText, -1, "num_tree_per_iteration", "1");
    expect(parseError(ntpi.text).line).toBe(ntpi.line);
  });

  it("objective and version checks", () => {
    const unknown = setField(binary.modelText, -1, "objective", "frobnicate");
    expect(parseError(unknown.text).line).toBe(unknown.line);
    const sig = setField(binary.modelText, -1, "objective", "binary sigmoid:0");
    expect(parseError(sig.text).message).toMatch(/sigmoid/);
    const nc = setField(multiclass.modelText, -1, "objective", "multiclass num_class:4");
    expect(parseError(nc.text).message).toMatch(/num_class/);
    const ver = setField(binary.modelText, -1, "version", "v9");
    expect(parseError(ver.text).line).toBe(ver.line);
  });

  it("fuzz: mutated models either parse or throw ModelParseError, quickly", () => {
    const text = catWide.modelText.slice(0, catWide.modelText.indexOf("feature_importances:"));
    const t0 = Date.now();
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            pos: fc.nat(),
            len: fc.nat({ max: 40 }),
            insert: fc.oneof(
              fc.string({ maxLength: 8 }),
              fc.constantFrom("-1", "0", "\n", "=", " ", "nan", "1e400", ""),
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          let s = text;
          for (const e of edits) {
            const p = e.pos % (s.length + 1);
            s = s.slice(0, p) + e.insert + s.slice(p + e.len);
          }
          try {
            const engine = JsEngine.fromString(s);
            // a model that parses must also predict without throwing
            const x = new Float64Array(engine.info.numFeatures).fill(1);
            engine.predictRow(x);
            engine.predictRow(x, { type: "leaf" });
            engine.predictRow(x, { type: "contrib" });
          } catch (err) {
            if (!(err instanceof ModelParseError)) throw err;
          }
        },
      ),
      { numRuns: 400, seed: 42 },
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
