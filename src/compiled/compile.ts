/**
 * The forest compiler: a validated model (src/model-text's IR and layout) to a WebAssembly module that
 * computes LightGBM's raw scores, bit for bit (GBDT::PredictRaw: per class, 0.0 plus every tree's output in
 * model order).
 *
 * Every split becomes a compare against a constant and a branch (an `if` whose two arms are the subtrees),
 * every leaf a load of its value. Two things make that fast (measured, docs/compiled-engine.md):
 *  - Thresholds are quantised. Per feature, the sorted distinct thresholds of its numerical splits are a
 *    table; a row's value becomes its rank in that table (the number of thresholds below it), once per
 *    row, and a split `x <= t` becomes the integer compare `rank(x) <= rank(t)`, which is exact and needs
 *    a third of the machine code of a float compare against a 64-bit constant. Missing values are folded
 *    into the rank per kind of split: a row keeps one rank slot per (feature, kind) the model uses, where
 *    NaN (or zero, for missing type Zero) is a rank below or above every threshold, so the split's default
 *    direction falls out of the same compare.
 *  - Rows are evaluated in blocks, a group of trees at a time (one function per group, looping over the
 *    block's rows), so a group's code stays in the instruction cache while the block goes through it. Each
 *    row's accumulators still receive the trees in model order.
 *
 * Categorical splits test the row's category (truncated as LightGBM does; NaN, negative and >= 2^31 values
 * are no category) against the split's bitset, inline for bitsets of one or two words. Linear leaves
 * compute LightGBM's Tree::Predict for linear trees from the row's raw values.
 *
 * Safety: the module is generated from the parser's checked IR only (children, features and bitsets were
 * validated there), its size is linear in the model's, and WebAssembly checks every memory access, so no
 * model text can make it read or write outside its own memory or run forever (every tree is a finite
 * nest of ifs, every loop counts rows). No JavaScript is generated.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

import type { Layout } from "../model-text/layout.js";
import {
  K_ZERO_THRESHOLD,
  KIND_CATEGORICAL,
  KIND_NUM_NAN_LEFT,
  KIND_NUM_NAN_RIGHT,
  KIND_ZERO_LEFT,
  KIND_ZERO_RIGHT,
} from "../model-text/layout.js";
import type { ParsedModel } from "../model-text/parse.js";
import { Bytes, encodeModule, F64, type Func, I32, Op, VOID } from "./wasm-encoder.js";

/** Where the model's tables (leaf values, threshold tables, bitsets) start in the module's memory. */
export const TABLE_BASE = 1024;
/** Rank of a value that lies above every threshold (NaN for splits whose missing values go right). */
const RANK_HIGH = 0x7fffffff;
/**
 * Ranks are stored minus this bias, so that the constants of most splits fit a signed byte (x86 encodes
 * `cmp reg, imm8` in 4 bytes, `cmp reg, imm32` in 7): smaller code, fewer instruction-cache misses.
 */
const RANK_BIAS = 128;

/** Kinds of rank slot: one per (feature, kind of split on it). */
const SLOT_NAN_RIGHT = 0;
const SLOT_NAN_LEFT = 1;
const SLOT_ZERO_RIGHT = 2;
const SLOT_ZERO_LEFT = 3;
const SLOT_CATEGORY = 4;

function slotKindOf(kind: number): number {
  switch (kind) {
    case KIND_NUM_NAN_RIGHT:
      return SLOT_NAN_RIGHT;
    case KIND_NUM_NAN_LEFT:
      return SLOT_NAN_LEFT;
    case KIND_ZERO_RIGHT:
      return SLOT_ZERO_RIGHT;
    case KIND_ZERO_LEFT:
      return SLOT_ZERO_LEFT;
    default:
      return SLOT_CATEGORY;
  }
}

export interface CompileOptions {
  /** Declare the module's memory shared (for worker threads). */
  shared?: boolean;
  /** Rows per block inside `run` (default: from the rank row's size). */
  blockRows?: number;
  /** Internal nodes per group function (default 1024). */
  groupNodes?: number;
  /** Maximum memory, in 64 KiB pages (default 16384: 1 GiB). */
  maxPages?: number;
  /** How a tree hands its leaf value on: as the value of nested ifs, or added at the leaf (then a branch). */
  shape?: "value" | "branch";
  /** The deepest tree compiled (default MAX_COMPILED_DEPTH); deeper ones throw CompileLimitError. */
  maxDepth?: number;
}

export interface CompiledModel {
  /** The module's bytes (imports "env" "memory"; exports `run`). */
  bytes: Uint8Array;
  /** Bytes to copy to TABLE_BASE in the memory before the first call. */
  tables: Uint8Array;
  /** Bytes of rank scratch `run` needs per row of a block (its `q` argument holds blockRows of them). */
  rankRowBytes: number;
  blockRows: number;
  numFeatures: number;
  /** Outputs per row (num_tree_per_iteration). */
  numOutputs: number;
  numTrees: number;
  /** Trees per group function, in order. */
  groups: number[];
  maxPages: number;
  shared: boolean;
}

/**
 * Sorted distinct thresholds of each feature's numerical splits (NaN thresholds left out: such a split
 * sends every value the same way, see rankOf).
 */
function thresholdTables(L: Layout): Float64Array[] {
  const sets: Set<number>[] = Array.from({ length: L.numFeatures }, () => new Set<number>());
  for (let i = 0; i < L.feat.length; i++) {
    if (L.kind[i] !== KIND_CATEGORICAL && !Number.isNaN(L.thr[i])) sets[L.feat[i]].add(L.thr[i]);
  }
  // Set keeps +0 and -0 apart; layout thresholds are never zero (adjustThreshold), but keep one anyway.
  return sets.map((s) => {
    const sorted = Float64Array.from(s).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++)
      if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i];
    return sorted.subarray(0, n);
  });
}

/** Number of table entries strictly below t (t not NaN). */
function lowerBound(table: Float64Array, t: number): number {
  let lo = 0;
  let hi = table.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Smallest power of two above n (the padded size of a threshold table). */
function paddedSize(n: number): number {
  let p = 1;
  while (p <= n) p *= 2;
  return p;
}

interface Plan {
  shape: "value" | "branch";
  L: Layout;
  k: number;
  tables: Float64Array[];
  /** Per feature and slot kind: byte offset of the slot in a rank row, or -1. */
  slot: Int32Array;
  rankRowBytes: number;
  /** Byte address (in memory) of each feature's padded threshold table. */
  tableAddr: Int32Array;
  leafAddr: number;
  catAddr: number;
  tableBytes: Uint8Array;
}

function plan(model: ParsedModel, L: Layout, shape: "value" | "branch"): Plan {
  const nf = L.numFeatures;
  const slot = new Int32Array(nf * 5).fill(-1);
  let nslots = 0;
  for (let i = 0; i < L.feat.length; i++) {
    const s = L.feat[i] * 5 + slotKindOf(L.kind[i]);
    if (slot[s] < 0) slot[s] = nslots++ * 4;
  }
  const tables = thresholdTables(L);
  // memory: leaf values, then the threshold tables (each padded with +Infinity to a power of two), then
  // the categorical bitsets
  let words = L.leafValue.length;
  const tableAddr = new Int32Array(nf);
  for (let f = 0; f < nf; f++) {
    if (
      slot[f * 5 + SLOT_NAN_RIGHT] < 0 &&
      slot[f * 5 + SLOT_NAN_LEFT] < 0 &&
      slot[f * 5 + SLOT_ZERO_RIGHT] < 0 &&
      slot[f * 5 + SLOT_ZERO_LEFT] < 0
    )
      continue;
    tableAddr[f] = TABLE_BASE + words * 8;
    words += paddedSize(tables[f].length);
  }
  const catAddr = TABLE_BASE + words * 8;
  const bytes = new Uint8Array(words * 8 + L.catBits.length * 4);
  const f64 = new Float64Array(bytes.buffer, 0, words);
  f64.set(L.leafValue, 0);
  for (let f = 0; f < nf; f++) {
    if (tableAddr[f] === 0) continue;
    const at = (tableAddr[f] - TABLE_BASE) / 8;
    f64.fill(Number.POSITIVE_INFINITY, at, at + paddedSize(tables[f].length));
    f64.set(tables[f], at);
  }
  new Uint32Array(bytes.buffer, words * 8, L.catBits.length).set(L.catBits);
  return {
    shape,
    L,
    k: model.numTreePerIteration,
    tables,
    slot,
    rankRowBytes: Math.max(4, nslots * 4),
    tableAddr,
    leafAddr: TABLE_BASE,
    catAddr,
    tableBytes: bytes,
  };
}

/**
 * The rank a split compares with: `rank(x) <= r` exactly when LightGBM sends x left. A NaN threshold
 * sends every value right, except missing values of a split whose missing values go left.
 */
function rankOf(p: Plan, node: number): number {
  const t = p.L.thr[node];
  if (Number.isNaN(t)) {
    const k = p.L.kind[node];
    return (k === KIND_NUM_NAN_LEFT || k === KIND_ZERO_LEFT ? -1 : -2) - RANK_BIAS;
  }
  return lowerBound(p.tables[p.L.feat[node]], t) - RANK_BIAS;
}

// Locals of a group function: params x, q, n, out; then accumulators (f64 x k), linear-leaf scratch
// (f64 x 2), and the category scratch (i32).
const P_X = 0;
const P_Q = 1;
const P_N = 2;
const P_OUT = 3;

/**
 * Emits one tree as a nest of ifs. Shape "value": the nest leaves the tree's output (f64) on the stack.
 * Shape "branch": each leaf adds its value to `acc` and branches out of the tree (or, for trees without
 * linear leaves, only names its value in `leafLocal`, added once after the tree). Iterative: trees can be
 * deep.
 */
function emitTree(
  p: Plan,
  b: Bytes,
  tree: number,
  lin: number,
  linV: number,
  cat: number,
  acc: number,
  leafLocal: number,
): void {
  const L = p.L;
  const root = L.root[tree];
  const branch = p.shape === "branch";
  // a plain tree's leaves only name themselves (a move and a jump); its value is added once, after it
  const byIndex = branch && L.treeLinear[tree] === 0;
  // work items: >= 0 node or ~leaf to emit; ELSE / END markers
  const ELSE = 0x40000000;
  const END = 0x40000001;
  const stack: number[] = [root];
  let depth = 0;
  if (branch) b.op(Op.block).byte(VOID);
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c === ELSE) {
      b.op(Op.else);
      continue;
    }
    if (c === END) {
      b.op(Op.end);
      depth--;
      continue;
    }
    if (c < 0) {
      if (byIndex) {
        b.i32(p.leafAddr + ~c * 8)
          .set(leafLocal)
          .op(Op.br)
          .u32(depth);
      } else if (branch) {
        b.get(acc);
        emitLeaf(p, b, ~c, lin, linV);
        b.op(Op.f64Add).set(acc).op(Op.br).u32(depth);
      } else {
        emitLeaf(p, b, ~c, lin, linV);
      }
      continue;
    }
    emitCondition(p, b, c, cat);
    b.op(Op.if).byte(branch ? VOID : F64);
    depth++;
    stack.push(END, L.right[c], ELSE, L.left[c]);
  }
  if (branch) b.op(Op.end);
  if (byIndex) b.get(acc).get(leafLocal).mem(Op.f64Load, 3, 0).op(Op.f64Add).set(acc);
}

/** Pushes 1 when node `c` sends the current row (rank row at local q) left. */
function emitCondition(p: Plan, b: Bytes, c: number, cat: number): void {
  const L = p.L;
  const s = p.slot[L.feat[c] * 5 + slotKindOf(L.kind[c])];
  b.get(P_Q).mem(Op.i32Load, 2, s);
  if (L.kind[c] !== KIND_CATEGORICAL) {
    b.i32(rankOf(p, c)).op(Op.i32LeS);
    return;
  }
  // the row's category (-1 when it has none) in the split's bitset: words beyond the bitset are zeros
  const words = L.catWords[c];
  const start = L.catStart[c];
  if (words === 0) {
    b.op(0x1a /* drop */).i32(0);
  } else if (words === 1) {
    b.tee(cat).i32(32).op(Op.i32LtU);
    b.i32(L.catBits[start] | 0)
      .get(cat)
      .op(Op.i32ShrU)
      .i32(1)
      .op(Op.i32And);
    b.op(Op.i32And);
  } else if (words === 2) {
    const bits = (BigInt(L.catBits[start + 1]) << 32n) | BigInt(L.catBits[start]);
    b.tee(cat).i32(64).op(Op.i32LtU);
    b.i64(bits).get(cat).op(Op.i64ExtendI32U).op(Op.i64ShrU).i64(1n).op(Op.i64And).op(Op.i32WrapI64);
    b.op(Op.i32And);
  } else {
    b.tee(cat)
      .i32(words * 32)
      .op(Op.i32LtU);
    b.op(Op.if).byte(I32);
    b.get(cat)
      .i32(5)
      .op(Op.i32ShrU)
      .i32(2)
      .op(Op.i32Shl)
      .mem(Op.i32Load, 2, p.catAddr + start * 4);
    b.get(cat).op(Op.i32ShrU).i32(1).op(Op.i32And);
    b.op(Op.else).i32(0).op(Op.end);
  }
}

/**
 * A leaf's output. Linear leaves: Tree::Predict for linear trees, on the values LightGBM's C API hands it
 * (|x| <= kZeroThreshold read as 0): const + sum of coeff * x in order, or the plain leaf value when a
 * feature it uses is NaN.
 */
function emitLeaf(p: Plan, b: Bytes, leaf: number, lin: number, linV: number): void {
  const L = p.L;
  const start = L.linStart[leaf];
  const end = L.linStart[leaf + 1];
  const linear = L.treeLinear[treeOfLeaf(L, leaf)] === 1;
  if (!linear) {
    b.i32(0).mem(Op.f64Load, 3, p.leafAddr + leaf * 8);
    return;
  }
  b.op(Op.block).byte(F64);
  b.f64c(L.linConst[leaf]).set(lin);
  for (let j = start; j < end; j++) {
    b.get(P_X)
      .mem(Op.f64Load, 3, L.linFeat[j] * 8)
      .tee(linV)
      .get(linV)
      .op(Op.f64Ne);
    b.op(Op.if)
      .byte(VOID)
      .i32(0)
      .mem(Op.f64Load, 3, p.leafAddr + leaf * 8)
      .op(Op.br)
      .u32(1)
      .op(Op.end);
    // lin += coeff * (|v| <= kZeroThreshold ? 0 : v)
    b.get(lin).f64c(L.linCoeff[j]);
    b.f64c(0).get(linV).get(linV).op(Op.f64Abs).f64c(K_ZERO_THRESHOLD).op(Op.f64Le).op(Op.select);
    b.op(Op.f64Mul).op(Op.f64Add).set(lin);
  }
  b.get(lin).op(Op.end);
}

/** The tree a global leaf index belongs to (binary search over leafBase). */
function treeOfLeaf(L: Layout, leaf: number): number {
  let lo = 0;
  let hi = L.numTrees - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (L.leafBase[mid] <= leaf) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Splits the trees into groups of about `groupNodes` internal nodes (at least one tree each). */
function groupTrees(L: Layout, groupNodes: number): number[] {
  const groups: number[] = [];
  let count = 0;
  let nodes = 0;
  for (let t = 0; t < L.numTrees; t++) {
    const n = L.numLeaves[t] - 1;
    if (count > 0 && nodes + n > groupNodes) {
      groups.push(count);
      count = 0;
      nodes = 0;
    }
    count++;
    nodes += n;
  }
  if (count > 0) groups.push(count);
  return groups;
}

/** group(x, q, n, out): for n rows, add the group's trees to each row's accumulators in out. */
function groupFunction(p: Plan, firstTree: number, count: number): Func {
  const { L, k } = p;
  const nf = L.numFeatures;
  const acc = 4;
  const lin = acc + k;
  const linV = lin + 1;
  const cat = linV + 1;
  const leafLocal = cat + 1;
  const b = new Bytes(count * 2048);
  // while (n != 0): the back edge runs after every row, even the last: V8 counts a function's work towards
  // optimising it at back edges, so single-row calls get the optimised code too
  b.op(Op.block).byte(VOID).op(Op.loop).byte(VOID);
  b.get(P_N).op(Op.i32Eqz).op(Op.brIf).u32(1);
  for (let c = 0; c < k; c++)
    b.get(P_OUT)
      .mem(Op.f64Load, 3, c * 8)
      .set(acc + c);
  for (let t = firstTree; t < firstTree + count; t++) {
    const c = t % k;
    if (p.shape === "branch") {
      emitTree(p, b, t, lin, linV, cat, acc + c, leafLocal);
    } else {
      b.get(acc + c);
      emitTree(p, b, t, lin, linV, cat, acc + c, leafLocal);
      b.op(Op.f64Add).set(acc + c);
    }
  }
  for (let c = 0; c < k; c++)
    b.get(P_OUT)
      .get(acc + c)
      .mem(Op.f64Store, 3, c * 8);
  b.get(P_X)
    .i32(nf * 8)
    .op(Op.i32Add)
    .set(P_X);
  b.get(P_Q).i32(p.rankRowBytes).op(Op.i32Add).set(P_Q);
  b.get(P_OUT)
    .i32(k * 8)
    .op(Op.i32Add)
    .set(P_OUT);
  b.get(P_N).i32(1).op(Op.i32Sub).set(P_N).op(Op.br).u32(0);
  b.op(Op.end).op(Op.end);
  return {
    type: 0,
    locals: [
      [k + 2, F64],
      [2, I32],
    ],
    body: b,
  };
}

/**
 * quantize(x, q, n): the rank row of each of n rows. Per feature, a branch-free binary search over its
 * padded table (entries below the value are counted), then one store per slot kind with the missing-value
 * rule folded in.
 */
function quantizeFunction(p: Plan): Func {
  const { L, slot, tables, tableAddr } = p;
  const nf = L.numFeatures;
  const V = 3; // f64 value
  const R = 4; // i32 rank
  const b = new Bytes(1024 + nf * 64);
  b.op(Op.block).byte(VOID).op(Op.loop).byte(VOID);
  b.get(2).op(Op.i32Eqz).op(Op.brIf).u32(1);
  for (let f = 0; f < nf; f++) {
    const s = (kind: number) => slot[f * 5 + kind];
    const numeric =
      s(SLOT_NAN_RIGHT) >= 0 || s(SLOT_NAN_LEFT) >= 0 || s(SLOT_ZERO_RIGHT) >= 0 || s(SLOT_ZERO_LEFT) >= 0;
    if (!numeric && s(SLOT_CATEGORY) < 0) continue;
    b.get(0)
      .mem(Op.f64Load, 3, f * 8)
      .set(V);
    if (numeric) {
      b.i32(0).set(R);
      for (let step = paddedSize(tables[f].length) >>> 1; step >= 1; step >>>= 1) {
        // r = table[r + step - 1] < v ? r + step : r
        b.get(R).i32(step).op(Op.i32Add).get(R);
        b.get(R)
          .i32(3)
          .op(Op.i32Shl)
          .mem(Op.f64Load, 3, tableAddr[f] + (step - 1) * 8)
          .get(V)
          .op(Op.f64Lt);
        b.op(Op.select).set(R);
      }
      const store = (kind: number, missingRank: number, missing: () => void) => {
        if (s(kind) < 0) return;
        b.get(1).i32(missingRank).get(R).i32(-RANK_BIAS).op(Op.i32Add);
        missing();
        b.op(Op.select).mem(Op.i32Store, 2, s(kind));
      };
      const isMissing = () => b.get(V).get(V).op(Op.f64Ne);
      // missing type Zero: NaN and |v| <= kZeroThreshold, i.e. !(|v| > kZeroThreshold)
      const isZero = () => b.get(V).op(Op.f64Abs).f64c(K_ZERO_THRESHOLD).op(Op.f64Gt).op(Op.i32Eqz);
      store(SLOT_NAN_RIGHT, RANK_HIGH, isMissing);
      store(SLOT_NAN_LEFT, -1 - RANK_BIAS, isMissing);
      store(SLOT_ZERO_RIGHT, RANK_HIGH, isZero);
      store(SLOT_ZERO_LEFT, -1 - RANK_BIAS, isZero);
    }
    if (s(SLOT_CATEGORY) >= 0) {
      // static_cast<int> of v in (-1, 2^31); NaN, negative and larger values are no category (-1)
      b.get(1).get(V).i32TruncSatF64S().i32(-1);
      b.get(V).f64c(-1).op(Op.f64Gt).get(V).f64c(2147483648).op(Op.f64Lt).op(Op.i32And);
      b.op(Op.select).mem(Op.i32Store, 2, s(SLOT_CATEGORY));
    }
  }
  b.get(0)
    .i32(nf * 8)
    .op(Op.i32Add)
    .set(0);
  b.get(1).i32(p.rankRowBytes).op(Op.i32Add).set(1);
  b.get(2).i32(1).op(Op.i32Sub).set(2).op(Op.br).u32(0);
  b.op(Op.end).op(Op.end);
  return {
    type: 1,
    locals: [
      [1, F64],
      [1, I32],
    ],
    body: b,
  };
}

/**
 * run(x, n, out, q): raw scores of n rows at x (numFeatures f64 each) to out (numOutputs f64 each), in
 * blocks of blockRows rows ranked into q.
 */
function runFunction(p: Plan, groups: number[], quantizeIndex: number, blockRows: number): Func {
  const { L, k } = p;
  const nf = L.numFeatures;
  const M = 4; // rows in this block
  const I = 5;
  const b = new Bytes(256 + groups.length * 16);
  // out[0 .. n*k) = 0.0
  b.op(Op.block).byte(VOID).get(1).op(Op.i32Eqz).op(Op.brIf).u32(0);
  b.get(2).set(I).get(1).i32(k).op(Op.i32Mul).set(M);
  b.op(Op.loop).byte(VOID);
  b.get(I).f64c(0).mem(Op.f64Store, 3, 0);
  b.get(I).i32(8).op(Op.i32Add).set(I);
  b.get(M).i32(1).op(Op.i32Sub).tee(M).op(Op.brIf).u32(0);
  b.op(Op.end).op(Op.end);
  // blocks
  b.op(Op.block).byte(VOID).op(Op.loop).byte(VOID);
  b.get(1).op(Op.i32Eqz).op(Op.brIf).u32(1);
  b.i32(blockRows).get(1).i32(blockRows).get(1).op(Op.i32LtU).op(Op.select).set(M);
  b.get(0).get(3).get(M).op(Op.call).u32(quantizeIndex);
  for (let g = 0; g < groups.length; g++) b.get(0).get(3).get(M).get(2).op(Op.call).u32(g);
  b.get(1).get(M).op(Op.i32Sub).set(1);
  b.get(0)
    .get(M)
    .i32(nf * 8)
    .op(Op.i32Mul)
    .op(Op.i32Add)
    .set(0);
  b.get(2)
    .get(M)
    .i32(k * 8)
    .op(Op.i32Mul)
    .op(Op.i32Add)
    .set(2);
  b.op(Op.br).u32(0).op(Op.end).op(Op.end);
  return { type: 2, locals: [[2, I32]], body: b, export: "run" };
}

/** Compiles a parsed model (and its layout) to a module computing raw scores. */
/**
 * Limits of what is compiled. V8's optimising compile of a tree grows with the square of its depth
 * (measured: a 50,000-deep chain took 50 s, a 1,000-deep one milliseconds), so a model text must not be
 * able to keep a core busy for minutes; the total bounds the module's size (~14 bytes a split). The parser
 * already refuses trees over 1,000 levels: the depth limit is the compiler's own guard.
 */
export const MAX_COMPILED_DEPTH = 1024;
export const MAX_COMPILED_SPLITS = 1 << 22;

/** A model the compiler does not take (too deep or too big): the engines use their other path. */
export class CompileLimitError extends RangeError {
  override name = "CompileLimitError";
}

export function compileForest(model: ParsedModel, L: Layout, options: CompileOptions = {}): CompiledModel {
  const maxDepth = options.maxDepth ?? MAX_COMPILED_DEPTH;
  if (L.maxDepth > maxDepth) {
    throw new CompileLimitError(
      `a tree is ${L.maxDepth} levels deep; the compiler takes at most ${maxDepth}`,
    );
  }
  if (L.feat.length > MAX_COMPILED_SPLITS) {
    throw new CompileLimitError(
      `the model has ${L.feat.length} splits; the compiler takes at most ${MAX_COMPILED_SPLITS}`,
    );
  }
  const p = plan(model, L, options.shape ?? "branch");
  // V8's optimising compile time grows faster than linearly with a function's size: big models get smaller
  // functions (measured: 500 x 127 leaves compiles in ~1 s with 512 nodes a function, ~1.8 s with 1,024)
  const groups = groupTrees(L, options.groupNodes ?? (L.feat.length > 32768 ? 512 : 1024));
  const blockRows =
    options.blockRows ?? Math.max(64, Math.min(1024, 2 ** Math.floor(Math.log2(262144 / p.rankRowBytes))));
  const funcs: Func[] = [];
  let first = 0;
  for (const count of groups) {
    funcs.push(groupFunction(p, first, count));
    first += count;
  }
  funcs.push(quantizeFunction(p));
  funcs.push(runFunction(p, groups, funcs.length - 1, blockRows));
  const maxPages = options.maxPages ?? 16384;
  const tablePages = Math.ceil((TABLE_BASE + p.tableBytes.length) / 65536);
  const bytes = encodeModule({
    types: [
      { params: [I32, I32, I32, I32], results: [] },
      { params: [I32, I32, I32], results: [] },
      { params: [I32, I32, I32, I32], results: [] },
    ],
    memory: { initial: tablePages, maximum: maxPages, shared: options.shared ?? false },
    funcs,
  });
  return {
    bytes,
    tables: p.tableBytes,
    rankRowBytes: p.rankRowBytes,
    blockRows,
    numFeatures: L.numFeatures,
    numOutputs: p.k,
    numTrees: L.numTrees,
    groups,
    maxPages,
    shared: options.shared ?? false,
  };
}
