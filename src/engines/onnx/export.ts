/**
 * LightGBM text model → ONNX, written in TypeScript with protobufjs (no Python, no converter).
 *
 * The graph (ONNX IR 10, opsets "" 21 and ai.onnx.ml 5; mlOpset 3 swaps the tree operator, see below):
 *
 *   X (double [N, F])
 *     → input rules LightGBM applies before its trees, only where the model needs them (see below)
 *     → TreeEnsemble (ai.onnx.ml opset 5): double thresholds, double leaf values, post_transform NONE
 *     → raw          (double [N, K])  LightGBM's raw score ("raw" predict type), K = num_class
 *     → prediction   (double [N, K])  LightGBM's transformed output ("normal" predict type)
 *     → probabilities (double [N, C]) and label (int64 [N]): binary, multiclass and multiclassova only;
 *        binary gives [1 - p, p]. Plain tensors, no ZipMap.
 *
 * The objective's transform is written with standard ONNX operators on the raw score, in double and
 * in LightGBM's own formula (binary: 1 / (1 + exp(-sigmoid * x)) for any sigmoid value; multiclass:
 * exp(x - max) / sum; poisson, gamma, tweedie: exp; regression sqrt: sign(x) * x * x; random forests:
 * raw / iterations), instead of the tree operator's post_transform: one graph then serves both the raw
 * and the transformed output, every objective can be exported, and no leaf value is rescaled.
 *
 * Decision rules, exact in double:
 * - numerical split `x <= threshold` → BRANCH_LEQ, true = left. NaN: missing type NaN follows
 *   default_left (nodes_missing_value_tracks_true); missing type None reads NaN as 0.0, so NaN goes
 *   where 0.0 goes (`0 <= threshold`). LightGBM reads |x| <= kZeroThreshold (1e-35f) as 0.0; a
 *   threshold within that band is moved so that `x <= t'` gives LightGBM's answer (layout.ts).
 * - missing type Zero (zero_as_missing=true): 0 and NaN both follow default_left. The graph first maps
 *   |x| <= kZeroThreshold to NaN in those features' columns, so the tree sees one missing value.
 * - categorical split: LightGBM truncates x toward zero, sends NaN and negatives right, and tests the
 *   integer in the split's bitset. The graph truncates those columns (sign(x) * floor(|x|)) and the
 *   split becomes BRANCH_MEMBER with the bitset's categories (NaN and negatives are no member: right).
 * A feature used both ways (numerical and categorical, or missing types Zero and NaN), which LightGBM's
 * training never produces, is refused with an error naming the feature. So are linear trees.
 */
import { endianness } from "node:os";
import { adjustThreshold, K_ZERO_THRESHOLD } from "../../model-text/layout.js";
import { type ParsedModel, type ParsedTree, parseModel } from "../../model-text/parse.js";
import { transformSpec } from "../../model-text/transform.js";
import { AT, DT, encodeModel } from "./proto.js";

export class OnnxExportError extends Error {
  /** The model feature the refusal is about, when it is about one. */
  readonly feature?: string;
  constructor(message: string, feature?: string) {
    super(message);
    this.name = "OnnxExportError";
    if (feature !== undefined) this.feature = feature;
  }
}

export interface OnnxExportOptions {
  /** First boosting iteration to export (0-based, LightGBM's clamping). Default 0. */
  startIteration?: number;
  /** Iterations to export from startIteration; <= 0 or undefined means all. */
  numIterations?: number;
  /**
   * ai.onnx.ml opset: 5 (default) writes TreeEnsemble, double precision end to end. 3 writes the older
   * TreeEnsembleRegressor for runtimes without opset 5: thresholds and leaf values stay double
   * (nodes_values_as_tensor, target_weights_as_tensor) but the operator's output is float32, so raw
   * scores are rounded to float32 before the transform; the export says so in `warnings`.
   */
  mlOpset?: 3 | 5;
  /** Producer version written into the model (default: this package's). */
  producerVersion?: string;
}

/** What an export wrote, for the CLI and for engines. */
export interface OnnxExportInfo {
  inputName: string;
  numFeatures: number;
  numTargets: number;
  outputs: string[];
  numTrees: number;
  numNodes: number;
  /** Precision notes (none when everything is double); the CLI prints these as warnings. */
  warnings: string[];
}

export const ONNX_INPUT = "X";
export const ONNX_IR_VERSION = 10;
export const ONNX_OPSET = 21;
export const ONNX_ML_OPSET = 5;

const MODE_LEQ = 0;
const MODE_LT = 1;
const MODE_MEMBER = 6;

/** The categories in the bitset of categorical node `i` (LightGBM's cat_threshold words), ascending. */
function categoriesOf(t: ParsedTree, i: number): number[] {
  const ci = t.threshold[i];
  const from = t.catBoundaries[ci];
  const cats: number[] = [];
  for (let w = from; w < t.catBoundaries[ci + 1]; w++) {
    const bits = t.catThreshold[w];
    for (let b = 0; b < 32; b++) if ((bits >>> b) & 1) cats.push((w - from) * 32 + b);
  }
  return cats;
}
const CLASSIFIERS = new Set(["binary", "multiclass", "multiclassova"]);

/** The model text or parsed model to export. */
export type OnnxExportSource = string | ParsedModel;

export function exportOnnxModel(
  source: OnnxExportSource,
  options: OnnxExportOptions = {},
): { bytes: Uint8Array; info: OnnxExportInfo } {
  const model = typeof source === "string" ? parseModel(source) : source;
  const g = new Graph();
  const k = model.numTreePerIteration;
  const nf = model.numFeatures;
  const total = model.numIterations;
  const start = Math.max(0, Math.min(options.startIteration ?? 0, total));
  const num = options.numIterations ?? 0;
  const count = num > 0 ? Math.min(num, total - start) : total - start;
  // No tree in the range (an empty model, or a range past the end): LightGBM's raw score is 0 then, which
  // a leaf-only tree of value 0 per class gives (an ensemble with no nodes is not a valid ONNX graph).
  const selected = model.trees.slice(start * k, (start + count) * k);
  const trees = selected.length > 0 ? selected : Array.from({ length: k }, zeroTree);

  const kinds = featureKinds(model, trees);
  let x = ONNX_INPUT;
  x = addInputRules(g, x, kinds, nf);
  const mlOpset = options.mlOpset ?? ONNX_ML_OPSET;
  if (mlOpset !== 3 && mlOpset !== 5) throw new RangeError(`mlOpset must be 3 or 5, got ${mlOpset}`);
  const warnings: string[] = [];
  let ensemble: { attrs: Attr[]; numNodes: number };
  if (mlOpset === 5) {
    ensemble = treeEnsemble(trees, k);
    g.node("TreeEnsemble", [x], ["raw"], ensemble.attrs, "ai.onnx.ml");
  } else {
    ensemble = treeEnsembleRegressorV3(trees, k);
    const f32 = g.node("TreeEnsembleRegressor", [x], undefined, ensemble.attrs, "ai.onnx.ml");
    g.node("Cast", [f32], ["raw"], [intAttr("to", DT.DOUBLE)]);
    warnings.push(
      "ai.onnx.ml opset 3: TreeEnsembleRegressor outputs float32, so raw scores are rounded to float32 " +
        "(relative error up to 6e-8) before the transform; thresholds and leaf values stay double. " +
        "Use ai.onnx.ml opset 5 (the default) for double precision end to end.",
    );
  }
  const outputs = ["raw", "prediction"];
  const outInfo: ValueInfo[] = [
    tensorInfo("raw", DT.DOUBLE, ["N", k]),
    tensorInfo("prediction", DT.DOUBLE, ["N", k]),
  ];
  addTransform(g, model, count);
  if (CLASSIFIERS.has(model.objective)) {
    const classes = model.objective === "binary" ? 2 : k;
    if (model.objective === "binary") {
      const q = g.node("Sub", [g.constant(new Float64Array([1])), "prediction"]);
      g.node("Concat", [q, "prediction"], ["probabilities"], [intAttr("axis", 1)]);
    } else {
      g.node("Identity", ["prediction"], ["probabilities"]);
    }
    g.node("ArgMax", ["probabilities"], ["label"], [intAttr("axis", 1), intAttr("keepdims", 0)]);
    outputs.push("label", "probabilities");
    outInfo.push(
      tensorInfo("label", DT.INT64, ["N"]),
      tensorInfo("probabilities", DT.DOUBLE, ["N", classes]),
    );
  }

  const meta: Record<string, string> = {
    "lightgbm.objective": model.objectiveLine,
    "lightgbm.num_class": String(model.numClass),
    "lightgbm.feature_names": JSON.stringify(model.featureNames),
    "lightgbm.iterations": JSON.stringify({ start, count }),
    "lightgbm.outputs": outputs.join(","),
  };
  const bytes = encodeModel({
    ir_version: ONNX_IR_VERSION,
    producer_name: "lightgbm-node",
    producer_version: options.producerVersion ?? "0.1.0",
    domain: "lightgbm-node",
    model_version: 1,
    doc_string: `LightGBM model (${model.objectiveLine || "no objective"}) exported by lightgbm-node`,
    opset_import: [
      { domain: "", version: ONNX_OPSET },
      { domain: "ai.onnx.ml", version: mlOpset },
    ],
    metadata_props: Object.entries(meta).map(([key, value]) => ({ key, value })),
    graph: {
      name: "lightgbm",
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorInfo(ONNX_INPUT, DT.DOUBLE, ["N", nf])],
      output: outInfo,
    },
  });
  return {
    bytes,
    info: {
      inputName: ONNX_INPUT,
      numFeatures: nf,
      numTargets: k,
      outputs,
      numTrees: trees.length,
      numNodes: ensemble.numNodes,
      warnings,
    },
  };
}

/** A tree with one leaf of value 0. */
function zeroTree(): ParsedTree {
  const none = new Int32Array(0);
  const noDoubles = new Float64Array(0);
  return {
    line: 0,
    numLeaves: 1,
    numCat: 0,
    splitFeature: none,
    threshold: noDoubles,
    decisionType: new Int8Array(0),
    leftChild: none,
    rightChild: none,
    leafValue: new Float64Array(1),
    leafCount: new Float64Array(1),
    internalCount: noDoubles,
    splitGain: noDoubles,
    internalValue: noDoubles,
    internalWeight: noDoubles,
    leafWeight: new Float64Array(1),
    catBoundaries: new Int32Array(1),
    catThreshold: new Uint32Array(0),
    isLinear: false,
    leafConst: noDoubles,
    leafFeatures: [],
    leafCoeff: [],
    shrinkage: 1,
    maxDepth: 0,
  };
}

/** Exports a LightGBM model (text or parsed) to ONNX bytes. See exportOnnxModel for details. */
export function exportOnnxBytes(source: OnnxExportSource, options?: OnnxExportOptions): Uint8Array {
  return exportOnnxModel(source, options).bytes;
}

// ---------------------------------------------------------------------------------------------------
// Features: which input rules each one needs

const Kind = {
  Unused: 0,
  Numerical: 1,
  /** Numerical with missing type Zero: |x| <= kZeroThreshold is missing. */
  ZeroMissing: 2,
  Categorical: 3,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

function featureKinds(model: ParsedModel, trees: ParsedTree[]): Kind[] {
  const kinds = new Array<Kind>(model.numFeatures).fill(Kind.Unused);
  const nanTyped = new Uint8Array(model.numFeatures);
  const name = (f: number) => model.featureNames[f] ?? `Column_${f}`;
  for (const t of trees) {
    if (t.isLinear) {
      throw new OnnxExportError(
        "linear trees (linear_tree=true) cannot be exported to ONNX: the tree ensemble operators have constant leaves only",
      );
    }
    for (let i = 0; i < t.numLeaves - 1; i++) {
      const f = t.splitFeature[i];
      const dt = t.decisionType[i];
      const categorical = (dt & 1) !== 0;
      const missingType = (dt >> 2) & 3;
      const prev = kinds[f];
      let kind: Kind;
      if (categorical) kind = Kind.Categorical;
      else kind = missingType === 1 ? Kind.ZeroMissing : Kind.Numerical;
      if (missingType === 2 && !categorical) nanTyped[f] = 1;
      if (prev === Kind.Unused || prev === kind) {
        kinds[f] = kind;
      } else if (prev === Kind.Categorical || kind === Kind.Categorical) {
        throw new OnnxExportError(
          `feature "${name(f)}" has both categorical and numerical splits; ONNX export needs one kind per feature`,
          name(f),
        );
      } else {
        // Zero with None/undefined types is fine (mapping 0 to NaN changes nothing for None: NaN is
        // read as 0.0 there); Zero with NaN is checked below.
        kinds[f] = Kind.ZeroMissing;
      }
    }
  }
  for (let f = 0; f < kinds.length; f++) {
    if (kinds[f] === Kind.ZeroMissing && nanTyped[f]) {
      throw new OnnxExportError(
        `feature "${name(f)}" has splits with missing type Zero and splits with missing type NaN; ` +
          "ONNX export cannot give 0 both meanings",
        name(f),
      );
    }
  }
  return kinds;
}

/** Input rules before the trees: zero-as-missing columns and categorical truncation. */
function addInputRules(g: Graph, x: string, kinds: Kind[], nf: number): string {
  const zeroCols = kinds.map((k) => k === Kind.ZeroMissing);
  const catCols = kinds.map((k) => k === Kind.Categorical);
  let out = x;
  if (zeroCols.some(Boolean)) {
    // Where(|x| <= kZeroThreshold and column is zero-as-missing, NaN, x)
    const abs = g.node("Abs", [out]);
    const band = g.node("LessOrEqual", [abs, g.constant(new Float64Array([K_ZERO_THRESHOLD]))]);
    const cond = g.node("And", [band, g.boolConstant(zeroCols, [1, nf])]);
    out = g.node("Where", [cond, g.constant(new Float64Array([Number.NaN])), out]);
  }
  if (catCols.some(Boolean)) {
    // Truncation toward zero, as static_cast<int>: sign(x) * floor(|x|) (NaN stays NaN).
    const trunc = g.node("Mul", [g.node("Sign", [out]), g.node("Floor", [g.node("Abs", [out])])]);
    out = g.node("Where", [g.boolConstant(catCols, [1, nf]), trunc, out]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The tree ensemble

function treeEnsemble(trees: ParsedTree[], k: number): { attrs: Attr[]; numNodes: number } {
  const roots: number[] = [];
  const featureIds: number[] = [];
  const modes: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const tracksTrue: number[] = [];
  const members: number[] = [];
  const leafTargets: number[] = [];
  const leafWeights: number[] = [];

  trees.forEach((t, ti) => {
    const target = ti % k;
    const nodeBase = featureIds.length;
    const leafBase = leafTargets.length;
    roots.push(nodeBase);
    for (let l = 0; l < t.numLeaves; l++) {
      leafTargets.push(target);
      leafWeights.push(t.leafValue[l]);
    }
    if (t.numLeaves === 1) {
      // The operator needs a node at each root: a split whose both branches reach the one leaf.
      featureIds.push(0);
      modes.push(MODE_LEQ);
      splits.push(0);
      trueIds.push(leafBase);
      trueLeafs.push(1);
      falseIds.push(leafBase);
      falseLeafs.push(1);
      tracksTrue.push(0);
      return;
    }
    const child = (c: number, ids: number[], leafs: number[]) => {
      if (c >= 0) {
        ids.push(nodeBase + c);
        leafs.push(0);
      } else {
        ids.push(leafBase + ~c);
        leafs.push(1);
      }
    };
    for (let i = 0; i < t.numLeaves - 1; i++) {
      const dt = t.decisionType[i];
      featureIds.push(t.splitFeature[i]);
      child(t.leftChild[i], trueIds, trueLeafs);
      child(t.rightChild[i], falseIds, falseLeafs);
      if ((dt & 1) !== 0) {
        const cats = categoriesOf(t, i);
        if (cats.length === 0) {
          // An empty bitset sends every value right; onnxruntime refuses an empty member set.
          modes.push(MODE_LT);
          splits.push(Number.NEGATIVE_INFINITY);
          tracksTrue.push(0);
          continue;
        }
        modes.push(MODE_MEMBER);
        splits.push(0);
        tracksTrue.push(0);
        members.push(...cats, Number.NaN);
      } else {
        const missingType = (dt >> 2) & 3;
        const defaultLeft = (dt & 2) !== 0;
        const thr = adjustThreshold(t.threshold[i]);
        modes.push(MODE_LEQ);
        splits.push(thr);
        // NaN (Zero type: 0 as well, mapped to NaN before the trees) follows default_left; missing type
        // None reads NaN as 0.0.
        tracksTrue.push(missingType === 1 || missingType === 2 ? Number(defaultLeft) : Number(0 <= thr));
      }
    }
  });
  if (members.length > 0) members.pop(); // NaN separates sets; none after the last

  const attrs: Attr[] = [
    intAttr("aggregate_function", 1), // SUM
    intAttr("post_transform", 0), // NONE: transforms are separate operators
    intAttr("n_targets", k),
    intsAttr("tree_roots", roots),
    intsAttr("nodes_featureids", featureIds),
    tensorAttr("nodes_modes", uint8Tensor(modes)),
    tensorAttr("nodes_splits", doubleTensor(Float64Array.from(splits))),
    intsAttr("nodes_truenodeids", trueIds),
    intsAttr("nodes_trueleafs", trueLeafs),
    intsAttr("nodes_falsenodeids", falseIds),
    intsAttr("nodes_falseleafs", falseLeafs),
    intsAttr("nodes_missing_value_tracks_true", tracksTrue),
    intsAttr("leaf_targetids", leafTargets),
    tensorAttr("leaf_weights", doubleTensor(Float64Array.from(leafWeights))),
  ];
  if (members.length > 0)
    attrs.push(tensorAttr("membership_values", doubleTensor(Float64Array.from(members))));
  return { attrs, numNodes: featureIds.length };
}

/**
 * The same trees as TreeEnsembleRegressor (ai.onnx.ml opset 3): leaves are LEAF nodes, categorical
 * splits are chains of BRANCH_EQ nodes (one per category, all true branches to the left child, the
 * last false branch to the right child; NaN fails every test and goes right).
 */
function treeEnsembleRegressorV3(trees: ParsedTree[], k: number): { attrs: Attr[]; numNodes: number } {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const tracksTrue: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tIds: number[] = [];
  const tWeights: number[] = [];
  const push = (
    tree: number,
    id: number,
    f: number,
    mode: string,
    v: number,
    t: number,
    fl: number,
    mt: number,
  ) => {
    treeIds.push(tree);
    nodeIds.push(id);
    featureIds.push(f);
    modes.push(mode);
    values.push(v);
    trueIds.push(t);
    falseIds.push(fl);
    tracksTrue.push(mt);
  };
  trees.forEach((t, ti) => {
    const nNodes = t.numLeaves - 1;
    // ids: internal nodes 0..nNodes-1 (root 0), leaves nNodes.., extra BRANCH_EQ nodes after them
    let nextId = nNodes + t.numLeaves;
    const idOf = (c: number) => (c >= 0 ? c : nNodes + ~c);
    for (let i = 0; i < nNodes; i++) {
      const dt = t.decisionType[i];
      const f = t.splitFeature[i];
      const left = idOf(t.leftChild[i]);
      const right = idOf(t.rightChild[i]);
      if ((dt & 1) !== 0) {
        const cats = categoriesOf(t, i);
        if (cats.length === 0) {
          // An empty bitset sends every value right (see treeEnsemble).
          push(ti, i, f, "BRANCH_LT", Number.NEGATIVE_INFINITY, left, right, 0);
          continue;
        }
        let id = i;
        cats.forEach((cat, j) => {
          const last = j === cats.length - 1;
          const next = last ? right : nextId++;
          push(ti, id, f, "BRANCH_EQ", cat, left, next, 0);
          id = next;
        });
      } else {
        const missingType = (dt >> 2) & 3;
        const thr = adjustThreshold(t.threshold[i]);
        const mt = missingType === 1 || missingType === 2 ? Number((dt & 2) !== 0) : Number(0 <= thr);
        push(ti, i, f, "BRANCH_LEQ", thr, left, right, mt);
      }
    }
    // onnxruntime takes a tree's first listed node as its root: leaves come after the splits.
    for (let l = 0; l < t.numLeaves; l++) {
      const id = nNodes + l;
      push(ti, id, 0, "LEAF", 0, 0, 0, 0);
      tTree.push(ti);
      tNode.push(id);
      tIds.push(ti % k);
      tWeights.push(t.leafValue[l]);
    }
  });
  return {
    attrs: [
      { name: "aggregate_function", type: AT.STRING, s: utf8("SUM") },
      { name: "post_transform", type: AT.STRING, s: utf8("NONE") },
      intAttr("n_targets", k),
      intsAttr("nodes_treeids", treeIds),
      intsAttr("nodes_nodeids", nodeIds),
      intsAttr("nodes_featureids", featureIds),
      { name: "nodes_modes", type: AT.STRINGS, strings: modes.map(utf8) },
      tensorAttr("nodes_values_as_tensor", doubleTensor(Float64Array.from(values))),
      intsAttr("nodes_truenodeids", trueIds),
      intsAttr("nodes_falsenodeids", falseIds),
      intsAttr("nodes_missing_value_tracks_true", tracksTrue),
      intsAttr("target_treeids", tTree),
      intsAttr("target_nodeids", tNode),
      intsAttr("target_ids", tIds),
      tensorAttr("target_weights_as_tensor", doubleTensor(Float64Array.from(tWeights))),
    ],
    numNodes: nodeIds.length,
  };
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// ---------------------------------------------------------------------------------------------------
// Objective transforms (ConvertOutput of each LightGBM objective), raw → prediction

function addTransform(g: Graph, model: ParsedModel, count: number): void {
  let r = "raw";
  // GBDT::Predict: random forests average over the iterations used, before the transform.
  if (model.averageOutput && count > 0) r = g.node("Div", [r, g.constant(new Float64Array([count]))]);
  const c = (v: number) => g.constant(new Float64Array([v]));
  // The model-text layer says what each objective's ConvertOutput does; here it becomes ONNX ops.
  const spec = transformSpec(model.objectiveLine);
  switch (spec.kind) {
    case "sigmoid":
    case "sigmoidPerClass":
      // 1 / (1 + exp(-s * x)), op by op as LightGBM computes it (per class: elementwise already)
      g.node(
        "Reciprocal",
        [g.node("Add", [c(1), g.node("Exp", [g.node("Mul", [c(-spec.sigmoid), r])])])],
        ["prediction"],
      );
      return;
    case "softmax": {
      const axes = g.constant(new BigInt64Array([1n]));
      const max = g.node("ReduceMax", [r, axes], undefined, [intAttr("keepdims", 1)]);
      const e = g.node("Exp", [g.node("Sub", [r, max])]);
      const sum = g.node("ReduceSum", [e, axes], undefined, [intAttr("keepdims", 1)]);
      g.node("Div", [e, sum], ["prediction"]);
      return;
    }
    case "log1pExp":
      // log1p(exp(x)); ONNX has no log1p (and onnxruntime no double Softplus): log(1 + exp(x))
      g.node("Log", [g.node("Add", [c(1), g.node("Exp", [r])])], ["prediction"]);
      return;
    case "exp":
      g.node("Exp", [r], ["prediction"]);
      return;
    case "signSquare":
      g.node("Mul", [g.node("Mul", [g.node("Sign", [r]), r]), r], ["prediction"]);
      return;
    case "identity":
      g.node("Identity", [r], ["prediction"]);
      return;
  }
}

// ---------------------------------------------------------------------------------------------------
// A small graph builder over plain protobuf objects

type Attr = Record<string, unknown>;
type ValueInfo = Record<string, unknown>;

class Graph {
  nodes: Record<string, unknown>[] = [];
  initializers: Record<string, unknown>[] = [];
  private n = 0;

  /** Adds a node; returns its (first) output name. */
  node(op: string, inputs: string[], outputs?: string[], attrs: Attr[] = [], domain = ""): string {
    const id = this.n++;
    const outs = outputs ?? [`${op.toLowerCase()}_${id}`];
    this.nodes.push({
      op_type: op,
      domain,
      name: `${op}_${id}`,
      input: inputs,
      output: outs,
      attribute: attrs,
    });
    return outs[0];
  }

  constant(values: Float64Array | BigInt64Array, dims: number[] = [values.length]): string {
    const name = `c_${this.n++}`;
    this.initializers.push(
      values instanceof Float64Array
        ? { ...doubleTensor(values, dims), name }
        : { name, data_type: DT.INT64, dims, raw_data: leBytes(values) },
    );
    return name;
  }

  boolConstant(values: boolean[], dims: number[]): string {
    const name = `c_${this.n++}`;
    this.initializers.push({ name, data_type: DT.BOOL, dims, raw_data: Uint8Array.from(values, Number) });
    return name;
  }
}

function leBytes(a: Float64Array | BigInt64Array): Uint8Array {
  if (endianness() === "LE") return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float64Array) view.setFloat64(i * 8, a[i], true);
    else view.setBigInt64(i * 8, a[i], true);
  }
  return out;
}

function doubleTensor(values: Float64Array, dims: number[] = [values.length]): Record<string, unknown> {
  return { data_type: DT.DOUBLE, dims, raw_data: leBytes(values) };
}

function uint8Tensor(values: number[]): Record<string, unknown> {
  return { data_type: DT.UINT8, dims: [values.length], raw_data: Uint8Array.from(values) };
}

function intAttr(name: string, i: number): Attr {
  return { name, type: AT.INT, i };
}

function intsAttr(name: string, ints: number[]): Attr {
  return { name, type: AT.INTS, ints };
}

function tensorAttr(name: string, t: Record<string, unknown>): Attr {
  return { name, type: AT.TENSOR, t: { ...t, name } };
}

function tensorInfo(name: string, elemType: number, dims: (string | number)[]): ValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dim_param: d } : { dim_value: d })) },
      },
    },
  };
}
