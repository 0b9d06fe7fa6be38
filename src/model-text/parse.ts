/**
 * Parser for LightGBM's text model format (versions v2, v3 and v4; see GBDT::SaveModelToString and
 * Tree::ToString in LightGBM). Strict where LightGBM's own loader would read garbage: every array
 * must have exactly the expected length, every number must be a number, and the tree structure
 * must be a proper binary tree (no out-of-range child, no cycle, no shared or unreachable node).
 * Any problem throws a ModelParseError carrying the 1-based line number.
 *
 * Bounded: every allocation is proportional to the text (a declared size is checked against the
 * values actually present before anything is sized by it), no recursion, and trees deeper than
 * MAX_TREE_DEPTH are refused (every engine's recursive code, LightGBM's TreeSHAP included, stays far
 * from its stack limit). Everything LightGBM reads from a model is parsed here, so that
 * writeModelText (write.ts) can hand LightGBM a text it wrote itself (see src/engines/native.ts).
 *
 * No `node:` imports: this module is part of the browser-safe entry point.
 */

import type { ModelInfo } from "../engines/engine.js";
import { ModelParseError } from "./errors.js";

/** The model header: everything before the first `Tree=` line. */
export interface ModelHeader {
  /** "v4", "v3", "v2" or "" when the file has no version line. */
  version: string;
  numClass: number;
  numTreePerIteration: number;
  labelIndex: number;
  maxFeatureIdx: number;
  /** max_feature_idx + 1 */
  numFeatures: number;
  featureNames: string[];
  /** One entry per feature ("[min:max]", "none" or "a:b:c" category list); [] when absent. */
  featureInfos: string[];
  /** First word of the objective line ("" when the model has no objective line). */
  objective: string;
  /**
   * The objective line, canonical: the objective and the parameters LightGBM reads back from it
   * (`sqrt`, `num_class:K`, `sigmoid:S`), e.g. "binary sigmoid:1"; "" without an objective line.
   */
  objectiveLine: string;
  /** `monotone_constraints=` of the header (one per feature), when present. */
  monotoneConstraints: Int8Array | null;
  /** Random forest models: the prediction is the mean of the trees, not the sum. */
  averageOutput: boolean;
  /** From `tree_sizes=`, when present: the number of trees in the model. */
  numTrees: number | null;
}

/** One tree, with LightGBM's own arrays (node indices local to the tree, leaves as ~index). */
export interface ParsedTree {
  /** Line of the `Tree=` header. */
  line: number;
  numLeaves: number;
  numCat: number;
  splitFeature: Int32Array;
  threshold: Float64Array;
  decisionType: Int8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  leafValue: Float64Array;
  leafCount: Float64Array;
  internalCount: Float64Array;
  /** Fields no prediction reads (importance, JSON dumps); zeros when absent. */
  splitGain: Float64Array;
  internalValue: Float64Array;
  internalWeight: Float64Array;
  leafWeight: Float64Array;
  catBoundaries: Int32Array;
  catThreshold: Uint32Array;
  isLinear: boolean;
  /** Linear leaves: constant term per leaf. */
  leafConst: Float64Array;
  /** Linear leaves: per leaf, the raw feature indices and coefficients. */
  leafFeatures: Int32Array[];
  leafCoeff: Float64Array[];
  shrinkage: number;
  /** Depth of the deepest leaf (root alone = 0). */
  maxDepth: number;
}

export interface ParsedModel extends ModelHeader {
  trees: ParsedTree[];
  /** trees.length / numTreePerIteration */
  numIterations: number;
  /**
   * A linear-tree model: `[linear_tree: 1]` in the parameters section, or a tree with linear leaves.
   * LightGBM refuses SHAP contributions for these (it reads the parameter, not the trees).
   */
  linearTree: boolean;
}

const KNOWN_OBJECTIVES = new Set([
  "regression",
  "regression_l1",
  "quantile",
  "huber",
  "fair",
  "mape",
  "poisson",
  "gamma",
  "tweedie",
  "binary",
  "multiclass",
  "multiclassova",
  "cross_entropy",
  "cross_entropy_lambda",
  "lambdarank",
  "rank_xendcg",
  "custom",
  "none",
]);

const SUPPORTED_VERSIONS = new Set(["v2", "v3", "v4"]);

/**
 * Deepest tree accepted (root alone = 0). Recursive tree code runs on the calling thread's stack:
 * LightGBM's TreeSHAP and leaf-depth pass segfault near depth 130,000 on an 8 MB stack (measured), the
 * js engine's TreeSHAP throws near 4,000 and onnxruntime segfaults near 20,000. A tree this deep needs
 * more than a thousand leaves in a chain; TreeSHAP's cost grows with leaves x depth^2 (2 s a row for one
 * such tree, measured), so the cap also bounds what one small file can cost per contrib row.
 */
export const MAX_TREE_DEPTH = 1000;

/** Reads a text line by line without splitting it all at once. */
class LineReader {
  private pos = 0;
  private crs = 0;
  /** 1-based number of the line last returned by next(). */
  lineNo = 0;
  /** Where the line last returned starts, counted as if every line ended with a bare \n. */
  lineStart = 0;

  constructor(private readonly text: string) {}

  /** The next line without its terminator, or null at the end of the text. */
  next(): string | null {
    const text = this.text;
    if (this.pos >= text.length) return null;
    let end = text.indexOf("\n", this.pos);
    if (end < 0) end = text.length;
    let line = text.slice(this.pos, end);
    this.lineStart = this.pos - this.crs;
    if (line.endsWith("\r")) {
      line = line.slice(0, -1);
      this.crs++;
    }
    this.pos = end + 1;
    this.lineNo++;
    return line;
  }
}

const INT_RE = /^[+-]?\d+$/;
/** Whitespace other than single spaces. */
const ODD_SPACE_RE = /[^\S ]| {2}/;
/** True when s holds a C0 control character or DEL: never part of a name LightGBM can read back. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
// Unambiguous (each digit run can be split one way only), so a long token that fails is refused in
// linear time: "1".repeat(30000) + "x" took 3.8 s with `\d+\.?\d*`, which splits a run many ways.
const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan|nan\(ind\))$/i;

function parseIntStrict(
  tok: string,
  what: string,
  line: number,
  min = -2147483648,
  max = 2147483647,
): number {
  if (!INT_RE.test(tok)) throw new ModelParseError(`${what}: "${clip(tok)}" is not an integer`, line);
  const v = Number(tok);
  if (v < min || v > max) throw new ModelParseError(`${what}: ${tok} is out of range [${min}, ${max}]`, line);
  return v;
}

/** Decimal doubles as LightGBM writes them ("%.17g"), plus inf / nan spellings; correctly rounded. */
function parseDoubleStrict(tok: string, what: string, line: number): number {
  if (FLOAT_RE.test(tok)) {
    const v = Number(tok);
    // LightGBM's own reader refuses a literal beyond the double range ("1e400"); so do we.
    if (!Number.isFinite(v))
      throw new ModelParseError(`${what}: "${clip(tok)}" is out of the double range`, line);
    return v;
  }
  const m = SPECIAL_RE.exec(tok);
  if (m) {
    if (m[2].toLowerCase().startsWith("nan")) return Number.NaN;
    return m[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  throw new ModelParseError(`${what}: "${clip(tok)}" is not a number`, line);
}

function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}

function tokens(value: string): string[] {
  const t = value.trim();
  if (t === "") return [];
  // LightGBM separates values with one space: split on it (much faster than on a regex) unless the line
  // holds other whitespace or a run of spaces.
  return ODD_SPACE_RE.test(t) ? t.split(/\s+/) : t.split(" ");
}

/** Parses the header fields only (cheap: stops at the first `Tree=`). */
export function parseModelHeader(text: string): ModelHeader {
  return readHeader(new LineReader(stripBom(text))).header;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

interface HeaderResult {
  header: ModelHeader;
  /** The `Tree=` line that ended the header, or null when the text ended first. */
  firstTree: string | null;
  firstTreeLine: number;
  /** `tree_sizes=`: each tree's block length in bytes (as LightGBM wrote it, \n line ends). */
  treeSizes: number[] | null;
  treeSizesLine: number;
}

function readHeader(r: LineReader): HeaderResult {
  let first = r.next();
  while (first !== null && first.trim() === "") first = r.next();
  if (first === null) throw new ModelParseError("empty model file", Math.max(1, r.lineNo));
  if (first.trim() !== "tree") {
    throw new ModelParseError(
      `not a LightGBM text model: expected "tree" as the first line, found "${clip(first)}"`,
      r.lineNo,
    );
  }
  const kv = new Map<string, { value: string; line: number }>();
  let averageOutput = false;
  let firstTree: string | null = null;
  for (let line = r.next(); line !== null; line = r.next()) {
    if (line.startsWith("Tree=")) {
      firstTree = line;
      break;
    }
    if (line.startsWith("end of trees")) {
      firstTree = line;
      break;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      if (line.trim() === "average_output") averageOutput = true;
      continue;
    }
    const key = line.slice(0, eq);
    if (kv.has(key)) throw new ModelParseError(`duplicate header field "${clip(key)}"`, r.lineNo);
    kv.set(key, { value: line.slice(eq + 1), line: r.lineNo });
  }
  const endLine = r.lineNo;
  const need = (key: string) => {
    const e = kv.get(key);
    if (!e) throw new ModelParseError(`model header has no "${key}" field`, endLine);
    return e;
  };
  const intField = (key: string, min: number) => {
    const e = need(key);
    return parseIntStrict(e.value.trim(), key, e.line, min);
  };

  const versionEntry = kv.get("version");
  const version = versionEntry ? versionEntry.value.trim() : "";
  if (versionEntry && !SUPPORTED_VERSIONS.has(version)) {
    throw new ModelParseError(`unsupported model format version "${clip(version)}"`, versionEntry.line);
  }
  const numClass = intField("num_class", 1);
  const numTreePerIteration = kv.has("num_tree_per_iteration")
    ? intField("num_tree_per_iteration", 1)
    : numClass;
  if (numTreePerIteration !== numClass) {
    throw new ModelParseError(
      `num_tree_per_iteration=${numTreePerIteration} differs from num_class=${numClass}`,
      kv.get("num_tree_per_iteration")!.line,
    );
  }
  const labelIndex = kv.has("label_index") ? intField("label_index", -1) : 0;
  const maxFeatureIdx = intField("max_feature_idx", 0);
  if (maxFeatureIdx >= 2 ** 28) {
    throw new ModelParseError(
      `max_feature_idx=${maxFeatureIdx} is too large`,
      kv.get("max_feature_idx")!.line,
    );
  }
  const numFeatures = maxFeatureIdx + 1;

  const namesEntry = need("feature_names");
  const featureNames = namesEntry.value.trim() === "" ? [] : namesEntry.value.trim().split(" ");
  if (featureNames.length !== numFeatures) {
    throw new ModelParseError(
      `feature_names has ${featureNames.length} names, max_feature_idx=${maxFeatureIdx} needs ${numFeatures}`,
      namesEntry.line,
    );
  }
  for (const name of featureNames) {
    if (name === "")
      throw new ModelParseError("feature_names has an empty name (two spaces in a row)", namesEntry.line);
    // LightGBM ends a line at \r and a C string at NUL: a name holding one would not read back the same.
    if (hasControl(name)) {
      throw new ModelParseError(`feature name "${clip(name)}" contains a control character`, namesEntry.line);
    }
  }
  const infosEntry = kv.get("feature_infos");
  const featureInfos = infosEntry ? tokens(infosEntry.value) : [];
  if (infosEntry && featureInfos.length !== numFeatures) {
    throw new ModelParseError(
      `feature_infos has ${featureInfos.length} entries, expected ${numFeatures}`,
      infosEntry.line,
    );
  }
  for (const info of featureInfos) checkFeatureInfo(info, infosEntry!.line);
  const monoEntry = kv.get("monotone_constraints");
  let monotoneConstraints: Int8Array | null = null;
  if (monoEntry) {
    const t = tokens(monoEntry.value);
    if (t.length !== numFeatures) {
      throw new ModelParseError(
        `monotone_constraints has ${t.length} values, expected ${numFeatures}`,
        monoEntry.line,
      );
    }
    monotoneConstraints = Int8Array.from(t, (v) =>
      parseIntStrict(v, "monotone_constraints", monoEntry.line, -1, 1),
    );
  }

  const objEntry = kv.get("objective");
  const objectiveText = objEntry ? objEntry.value.trim() : "";
  const objective = objectiveText === "" ? "" : objectiveText.split(/\s+/)[0];
  if (objEntry && !KNOWN_OBJECTIVES.has(objective)) {
    throw new ModelParseError(`unknown objective "${clip(objective)}"`, objEntry.line);
  }
  const objectiveLine = objEntry ? canonicalObjective(objectiveText, numClass, objEntry.line) : "";

  const sizesEntry = kv.get("tree_sizes");
  let treeSizes: number[] | null = null;
  if (sizesEntry) {
    treeSizes = tokens(sizesEntry.value).map((v) => parseIntStrict(v, "tree_sizes", sizesEntry.line, 0));
  }
  const numTrees = treeSizes === null ? null : treeSizes.length;

  return {
    header: {
      version,
      numClass,
      numTreePerIteration,
      labelIndex,
      maxFeatureIdx,
      numFeatures,
      featureNames,
      featureInfos,
      objective,
      objectiveLine,
      monotoneConstraints,
      averageOutput,
      numTrees,
    },
    firstTree,
    firstTreeLine: r.lineNo,
    treeSizes,
    treeSizesLine: sizesEntry?.line ?? 0,
  };
}

/**
 * The objective line with the parameters LightGBM's objective constructors read (the rest they ignore,
 * and so do we), checked the way those constructors check them: binary and multiclassova need
 * `sigmoid:S` with S > 0, multiclass and multiclassova need `num_class:K` equal to num_class.
 */
function canonicalObjective(objectiveText: string, numClass: number, line: number): string {
  const [name, ...parts] = objectiveText.split(/\s+/);
  let sqrt = false;
  let sigmoid: number | undefined;
  let objNumClass: number | undefined;
  for (const p of parts) {
    if (p === "sqrt") {
      sqrt = true;
      continue;
    }
    const colon = p.indexOf(":");
    if (colon < 0) continue;
    const key = p.slice(0, colon);
    const val = p.slice(colon + 1);
    if (key === "sigmoid") {
      if (sigmoid !== undefined) throw new ModelParseError("objective has sigmoid twice", line);
      sigmoid = parseDoubleStrict(val, "objective sigmoid", line);
      if (!(sigmoid > 0))
        throw new ModelParseError(`objective sigmoid:${clip(val)} must be greater than zero`, line);
    } else if (key === "num_class") {
      if (objNumClass !== undefined) throw new ModelParseError("objective has num_class twice", line);
      objNumClass = parseIntStrict(val, "objective num_class", line, 1);
      if (objNumClass !== numClass) {
        throw new ModelParseError(
          `objective num_class:${objNumClass} differs from num_class=${numClass}`,
          line,
        );
      }
    }
  }
  const needsSigmoid = name === "binary" || name === "multiclassova";
  const needsNumClass = name === "multiclass" || name === "multiclassova";
  if (needsSigmoid && sigmoid === undefined) {
    throw new ModelParseError(`objective ${name} needs a sigmoid:S parameter`, line);
  }
  if (needsNumClass && objNumClass === undefined) {
    throw new ModelParseError(`objective ${name} needs a num_class:K parameter`, line);
  }
  let out = name;
  if (sqrt) out += " sqrt";
  if (needsNumClass) out += ` num_class:${objNumClass}`;
  if (needsSigmoid) out += ` sigmoid:${formatDouble(sigmoid!)}`;
  return out;
}

/** One feature_infos entry: "none", "[min:max]" (numerical) or "c1:c2:..." (the categories seen). */
function checkFeatureInfo(info: string, line: number): void {
  if (info === "none") return;
  if (info.startsWith("[") && info.endsWith("]")) {
    const parts = info.slice(1, -1).split(":");
    if (parts.length === 2) {
      for (const p of parts) parseDoubleStrict(p, "feature_infos", line);
      return;
    }
  } else if (/^-?\d+(:-?\d+)*$/.test(info)) {
    return;
  }
  throw new ModelParseError(
    `feature_infos entry "${clip(info)}" is not none, [min:max] or a category list`,
    line,
  );
}

/**
 * A double as text that every reader in play parses back to the same double: the shortest string that
 * round-trips (ECMAScript's Number::toString), -0 with its sign, and LightGBM's spellings of the
 * non-finite values.
 */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (x === 0 && 1 / x < 0) return "-0";
  return String(x);
}

/** Parses a whole LightGBM text model. */
/** The engine metadata of a parsed model (the js and onnx engines both describe a model this way). */
export function modelInfoOf(model: ParsedModel): ModelInfo {
  return {
    numFeatures: model.numFeatures,
    featureNames: model.featureNames.slice(),
    numClasses: model.numClass,
    numTreePerIteration: model.numTreePerIteration,
    numIterations: model.numIterations,
    objective: model.objective,
    objectiveLine: model.objectiveLine,
  };
}

export function parseModel(text: string): ParsedModel {
  if (typeof text !== "string") throw new TypeError("model text must be a string");
  const r = new LineReader(stripBom(text));
  const { header, firstTree, treeSizes, treeSizesLine } = readHeader(r);
  const trees: ParsedTree[] = [];
  /** Where each tree's block starts (lineStart units), and where the trees end. */
  const starts: number[] = [];
  let line: string | null = firstTree;
  let sawEnd = false;
  while (line !== null) {
    if (line.startsWith("end of trees")) {
      sawEnd = true;
      starts.push(r.lineStart);
      break;
    }
    if (line.startsWith("Tree=")) {
      starts.push(r.lineStart);
      const idx = parseIntStrict(line.slice(5).trim(), "Tree index", r.lineNo, 0);
      if (idx !== trees.length) {
        throw new ModelParseError(`expected Tree=${trees.length}, found Tree=${idx}`, r.lineNo);
      }
      trees.push(readTree(r, header));
    } else if (line.trim() !== "") {
      throw new ModelParseError(`unexpected line between trees: "${clip(line)}"`, r.lineNo);
    }
    line = r.next();
  }
  if (!sawEnd) {
    throw new ModelParseError('truncated model: no "end of trees" line', Math.max(1, r.lineNo));
  }
  const linearTreeParam = readLinearTreeParam(r);
  if (treeSizes !== null) {
    if (treeSizes.length !== trees.length) {
      throw new ModelParseError(
        `tree_sizes lists ${treeSizes.length} trees but the model has ${trees.length}`,
        treeSizesLine,
      );
    }
    // LightGBM finds each tree by these sizes: a file where they are wrong was edited or damaged.
    // (Counted in characters: trees are ASCII in any file LightGBM wrote.)
    for (let i = 0; i < trees.length; i++) {
      if (starts[i + 1] - starts[i] !== treeSizes[i]) {
        throw new ModelParseError(
          `tree_sizes says tree ${i} is ${treeSizes[i]} bytes, but it is ${starts[i + 1] - starts[i]}`,
          treeSizesLine,
        );
      }
    }
  }
  if (trees.length === 0 && header.numClass > 1) {
    // Nothing else bounds num_class then, and every engine sizes its outputs by it.
    throw new ModelParseError(`a model without trees cannot have num_class=${header.numClass}`, r.lineNo);
  }
  if (trees.length % header.numTreePerIteration !== 0) {
    throw new ModelParseError(
      `${trees.length} trees is not a multiple of num_tree_per_iteration=${header.numTreePerIteration}`,
      r.lineNo,
    );
  }
  return {
    ...header,
    trees,
    numIterations: trees.length / header.numTreePerIteration,
    linearTree: linearTreeParam || trees.some((t) => t.isLinear),
  };
}

/**
 * The one entry of the trailing `parameters:` section LightGBM's predictions depend on (each of the
 * others was changed on the zoo models without changing any output): `[linear_tree: 0|1]`.
 */
function readLinearTreeParam(r: LineReader): boolean {
  let inParams = false;
  let value = false;
  for (let line = r.next(); line !== null; line = r.next()) {
    if (line === "parameters:") inParams = true;
    else if (line === "end of parameters") break;
    else if (inParams && line.startsWith("[linear_tree:")) {
      const v = line.slice("[linear_tree:".length).trim();
      if (v !== "0]" && v !== "1]")
        throw new ModelParseError(
          `expected [linear_tree: 0] or [linear_tree: 1], found "${clip(line)}"`,
          r.lineNo,
        );
      value = v === "1]";
    }
  }
  return value;
}

interface Field {
  value: string;
  line: number;
}

function readTree(r: LineReader, header: ModelHeader): ParsedTree {
  const treeLine = r.lineNo;
  const f = new Map<string, Field>();
  for (;;) {
    const line = r.next();
    if (line === null)
      throw new ModelParseError(`truncated model: tree at line ${treeLine} is not finished`, r.lineNo);
    if (line.trim() === "") break;
    const eq = line.indexOf("=");
    if (eq < 0) throw new ModelParseError(`expected key=value in tree, found "${clip(line)}"`, r.lineNo);
    const key = line.slice(0, eq);
    if (f.has(key)) throw new ModelParseError(`duplicate tree field "${clip(key)}"`, r.lineNo);
    f.set(key, { value: line.slice(eq + 1), line: r.lineNo });
  }
  const endLine = r.lineNo;
  const need = (key: string): Field => {
    const e = f.get(key);
    if (!e) throw new ModelParseError(`tree at line ${treeLine} has no "${key}" field`, endLine);
    return e;
  };
  const scalarInt = (key: string, min: number): number => {
    const e = need(key);
    return parseIntStrict(e.value.trim(), key, e.line, min);
  };
  const ints = (e: Field, key: string, n: number, min?: number, max?: number): Int32Array => {
    const t = tokens(e.value);
    if (t.length !== n) throw new ModelParseError(`${key} has ${t.length} values, expected ${n}`, e.line);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = parseIntStrict(t[i], key, e.line, min, max);
    return out;
  };
  const doubles = (e: Field, key: string, n: number): Float64Array => {
    const t = tokens(e.value);
    if (t.length !== n) throw new ModelParseError(`${key} has ${t.length} values, expected ${n}`, e.line);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = parseDoubleStrict(t[i], key, e.line);
    return out;
  };

  const numLeaves = scalarInt("num_leaves", 1);
  const numCat = scalarInt("num_cat", 0);
  const nNodes = numLeaves - 1;
  const leafValue = doubles(need("leaf_value"), "leaf_value", numLeaves);
  const shrinkEntry = f.get("shrinkage");
  const shrinkage = shrinkEntry
    ? parseDoubleStrict(shrinkEntry.value.trim(), "shrinkage", shrinkEntry.line)
    : 1;
  const linEntry = f.get("is_linear");
  const isLinear = linEntry ? parseIntStrict(linEntry.value.trim(), "is_linear", linEntry.line) !== 0 : false;
  const lcEntry = f.get("leaf_count");
  const leafCount = lcEntry
    ? Float64Array.from(ints(lcEntry, "leaf_count", numLeaves))
    : new Float64Array(numLeaves);

  const emptyTree = numLeaves <= 1;
  const getOpt = (key: string) => (emptyTree ? f.get(key) : need(key));
  const optInts = (key: string, min?: number, max?: number) => {
    const e = getOpt(key);
    return e ? ints(e, key, nNodes, min, max) : new Int32Array(0);
  };
  const leftChild = optInts("left_child");
  const rightChild = optInts("right_child");
  const splitFeature = optInts("split_feature", 0, header.maxFeatureIdx);
  const thrEntry = getOpt("threshold");
  const threshold = thrEntry ? doubles(thrEntry, "threshold", nNodes) : new Float64Array(0);
  const dtEntry = f.get("decision_type");
  const decisionType = dtEntry
    ? Int8Array.from(ints(dtEntry, "decision_type", nNodes, -128, 127))
    : new Int8Array(nNodes);
  const icEntry = f.get("internal_count");
  const internalCount = icEntry
    ? Float64Array.from(ints(icEntry, "internal_count", nNodes))
    : new Float64Array(nNodes);
  // Read by LightGBM (feature importance, dumps) though no prediction uses them. A single-leaf tree's
  // are not read unless it is linear (Tree's constructor stops before them), and LightGBM may write
  // them empty.
  const optDoubles = (key: string, n: number) => {
    const e = f.get(key);
    if (e === undefined || (emptyTree && (!isLinear || tokens(e.value).length === 0))) {
      return new Float64Array(n);
    }
    return doubles(e, key, n);
  };
  const splitGain = optDoubles("split_gain", nNodes);
  const internalValue = optDoubles("internal_value", nNodes);
  const internalWeight = optDoubles("internal_weight", nNodes);
  const leafWeight = optDoubles("leaf_weight", numLeaves);

  let catBoundaries: Int32Array = new Int32Array(1);
  let catThreshold = new Uint32Array(0);
  if (numCat > 0) {
    const cb = need("cat_boundaries");
    catBoundaries = ints(cb, "cat_boundaries", numCat + 1, 0);
    if (catBoundaries[0] !== 0) throw new ModelParseError("cat_boundaries must start at 0", cb.line);
    for (let i = 1; i <= numCat; i++) {
      if (catBoundaries[i] < catBoundaries[i - 1]) {
        throw new ModelParseError("cat_boundaries must be non-decreasing", cb.line);
      }
    }
    const ct = need("cat_threshold");
    const t = tokens(ct.value);
    const n = catBoundaries[numCat];
    if (t.length !== n) {
      throw new ModelParseError(`cat_threshold has ${t.length} values, cat_boundaries needs ${n}`, ct.line);
    }
    catThreshold = new Uint32Array(n);
    for (let i = 0; i < n; i++)
      catThreshold[i] = parseIntStrict(t[i], "cat_threshold", ct.line, 0, 4294967295);
  }

  // Categorical splits: threshold holds the index of the split's bitset.
  for (let i = 0; i < nNodes; i++) {
    if ((decisionType[i] & 1) !== 0) {
      const c = threshold[i];
      if (!(Number.isInteger(c) && c >= 0 && c < numCat)) {
        throw new ModelParseError(
          `node ${i} is a categorical split but its threshold ${c} is not a bitset index in [0, ${numCat})`,
          thrEntry ? thrEntry.line : endLine,
        );
      }
    }
  }

  const maxDepth = emptyTree ? 0 : checkStructure(leftChild, rightChild, numLeaves, need("left_child").line);
  if (maxDepth > MAX_TREE_DEPTH) {
    throw new ModelParseError(
      `tree at line ${treeLine} is ${maxDepth} levels deep; at most ${MAX_TREE_DEPTH} are supported`,
      need("left_child").line,
    );
  }

  let leafConst: Float64Array = new Float64Array(0);
  const leafFeatures: Int32Array[] = [];
  const leafCoeff: Float64Array[] = [];
  if (isLinear) {
    const lcE = f.get("leaf_const");
    leafConst = lcE ? doubles(lcE, "leaf_const", numLeaves) : new Float64Array(numLeaves);
    const nfE = f.get("num_features");
    const numFeat = nfE
      ? ints(nfE, "num_features", numLeaves, 0, header.numFeatures)
      : new Int32Array(numLeaves);
    let total = 0;
    for (let i = 0; i < numLeaves; i++) total += numFeat[i];
    const lfE = f.get("leaf_features");
    const coE = f.get("leaf_coeff");
    const allFeat = lfE ? ints(lfE, "leaf_features", total, 0, header.maxFeatureIdx) : null;
    const allCoeff = coE ? doubles(coE, "leaf_coeff", total) : null;
    if (lcE) noSubnormal(leafConst, "leaf_const", lcE.line);
    if (coE && allCoeff) noSubnormal(allCoeff, "leaf_coeff", coE.line);
    if (total > 0 && (!allFeat || !allCoeff)) {
      throw new ModelParseError("linear tree has num_features but no leaf_features / leaf_coeff", endLine);
    }
    let off = 0;
    for (let i = 0; i < numLeaves; i++) {
      const n = numFeat[i];
      leafFeatures.push(allFeat ? allFeat.slice(off, off + n) : new Int32Array(0));
      leafCoeff.push(allCoeff ? allCoeff.slice(off, off + n) : new Float64Array(0));
      off += n;
    }
  }

  return {
    line: treeLine,
    numLeaves,
    numCat,
    splitFeature,
    threshold,
    decisionType,
    leftChild,
    rightChild,
    leafValue,
    leafCount,
    internalCount,
    splitGain,
    internalValue,
    internalWeight,
    leafWeight,
    catBoundaries,
    catThreshold,
    isLinear,
    leafConst,
    leafFeatures,
    leafCoeff,
    shrinkage,
    maxDepth,
  };
}

/**
 * LightGBM reads leaf_const and leaf_coeff with std::stod, which throws on a subnormal value (ERANGE)
 * inside an OpenMP region: the process aborts (measured). No model LightGBM can load holds one.
 */
function noSubnormal(values: Float64Array, key: string, line: number): void {
  for (const v of values) {
    if (v !== 0 && Math.abs(v) < 2.2250738585072014e-308) {
      throw new ModelParseError(`${key}: ${v} is a subnormal number, which LightGBM cannot read`, line);
    }
  }
}

/**
 * Children must form one binary tree rooted at node 0: every internal node and every leaf reached
 * exactly once. Returns the maximum leaf depth. Iterative, so deep (chain-like) trees cannot
 * overflow the stack, and a cycle is reported instead of looping.
 */
function checkStructure(left: Int32Array, right: Int32Array, numLeaves: number, line: number): number {
  const nNodes = numLeaves - 1;
  const seenNode = new Uint8Array(nNodes);
  const seenLeaf = new Uint8Array(numLeaves);
  const stackNode = new Int32Array(numLeaves + nNodes + 1);
  const stackDepth = new Int32Array(numLeaves + nNodes + 1);
  let sp = 0;
  let maxDepth = 0;
  stackNode[sp] = 0;
  stackDepth[sp++] = 0;
  seenNode[0] = 1;
  while (sp > 0) {
    sp--;
    const node = stackNode[sp];
    const depth = stackDepth[sp];
    for (const child of [left[node], right[node]]) {
      if (child >= 0) {
        if (child >= nNodes) {
          throw new ModelParseError(
            `node ${node} has child ${child}, but the tree has ${nNodes} internal nodes`,
            line,
          );
        }
        if (seenNode[child]) {
          throw new ModelParseError(`node ${child} is reached twice (cycle or shared subtree)`, line);
        }
        seenNode[child] = 1;
        stackNode[sp] = child;
        stackDepth[sp++] = depth + 1;
      } else {
        const leaf = ~child;
        if (leaf >= numLeaves) {
          throw new ModelParseError(
            `node ${node} points to leaf ${leaf}, but the tree has ${numLeaves} leaves`,
            line,
          );
        }
        if (seenLeaf[leaf]) throw new ModelParseError(`leaf ${leaf} is reached twice`, line);
        seenLeaf[leaf] = 1;
        if (depth + 1 > maxDepth) maxDepth = depth + 1;
      }
    }
  }
  for (let i = 0; i < nNodes; i++) {
    if (!seenNode[i]) throw new ModelParseError(`node ${i} is not reachable from the root`, line);
  }
  for (let i = 0; i < numLeaves; i++) {
    if (!seenLeaf[i]) throw new ModelParseError(`leaf ${i} is not reachable from the root`, line);
  }
  return maxDepth;
}
