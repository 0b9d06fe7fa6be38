/**
 * The forest compiler: a validated model (src/model-text's IR and layout) to a WebAssembly module that
 * computes LightGBM's raw scores, bit for bit (GBDT::PredictRaw: per class, 0.0 plus every tree's output in
 * model order).
 *
 * Every split becomes a compare against a constant and a branch (an `if` whose two arms are the subtrees),
 * every leaf a load of its value. Two things make that fast (measured, docs/compiled-engine.md):
 *  - Thresholds are quantised (ranks.ts): a split `x <= t` is the integer compare `rank(x) <= rank(t)`,
 *    a third of the machine code of a float compare against a 64-bit constant.
 *  - Rows are evaluated in blocks, a group of trees at a time (one function per group, looping over the
 *    block's rows), so a group's code stays in the instruction cache while the block goes through it. Each
 *    row's accumulators still receive the trees in model order.
 *
 * Categorical splits test the row's category (truncated as LightGBM does; NaN, negative and >= 2^31 values
 * are no category) against the split's bitset, inline for bitsets of one or two words. Linear leaves
 * compute LightGBM's Tree::Predict for linear trees from the row's raw values.
 *
 * Big models also get the table walk (walk.ts) for single rows and small batches, where their if/else
 * code no longer fits the instruction cache.
 *
 * Safety: the module is generated from the parser's checked IR only (children, features and bitsets were
 * validated there), its size is linear in the model's, and WebAssembly checks every memory access, so no
 * model text can make it read or write outside its own memory or run forever (every tree is a finite
 * nest of ifs, every loop counts rows). No JavaScript is generated.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

import type { Layout } from "../model-text/layout.js";
import { K_ZERO_THRESHOLD, KIND_CATEGORICAL } from "../model-text/layout.js";
import type { ParsedModel } from "../model-text/parse.js";
import { type Plan, plan, quantizeFunction, rankOf, slotKindOf, TABLE_BASE } from "./ranks.js";
import { type WalkOptions, walkFunction, walkTables, wantsWalk } from "./walk.js";
import { Bytes, encodeModule, F64, type Func, I32, Op, VOID } from "./wasm-encoder.js";

export { TABLE_BASE } from "./ranks.js";

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
  /** Whether the module also gets the table walk (walk.ts; default "auto": big models). */
  walk?: WalkOptions["walk"];
}

export interface CompiledModel {
  /** The module's bytes (imports "env" "memory"; exports `run`, and `walk` and `rank` when hasWalk). */
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
  /** Whether the module exports `walk` (single rows and small batches, on the forest's own thread). */
  hasWalk: boolean;
  /**
   * Where the walk's tables lie in the memory, for a native walker (the addon's SIMD kernels): entries
   * [entriesAt, entriesEnd), the group table at groupsAddr (12 bytes a tree). The module then also exports
   * `rank` (quantize(x, q, n): the rank rows the walk reads).
   */
  walkLayout?: { entriesAt: number; entriesEnd: number; groupsAddr: number; categorical: boolean };
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
  const walkWanted = wantsWalk(L, options);
  const p = plan(model, L, options.shape ?? "branch", walkWanted);
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
  const walkAt = TABLE_BASE + Math.ceil(p.tableBytes.length / 8) * 8;
  const walk = walkWanted ? walkTables(p, walkAt) : undefined;
  // with the walk, the rank rows are exported too: a native walker reads them
  funcs.push({ ...quantizeFunction(p), export: walk !== undefined ? "rank" : undefined });
  const quantizeIndex = funcs.length - 1;
  funcs.push(runFunction(p, groups, quantizeIndex, blockRows));
  // the walk's tables after the others, 8-aligned
  let tables = p.tableBytes;
  if (walk !== undefined) {
    funcs.push(walkFunction(p, walk, quantizeIndex));
    tables = new Uint8Array(walkAt - TABLE_BASE + walk.bytes.length);
    tables.set(p.tableBytes);
    tables.set(walk.bytes, walkAt - TABLE_BASE);
  }
  const maxPages = options.maxPages ?? 16384;
  const tablePages = Math.ceil((TABLE_BASE + tables.length) / 65536);
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
    tables,
    rankRowBytes: p.rankRowBytes,
    blockRows,
    numFeatures: L.numFeatures,
    numOutputs: p.k,
    numTrees: L.numTrees,
    groups,
    maxPages,
    shared: options.shared ?? false,
    hasWalk: walk !== undefined,
    walkLayout:
      walk === undefined
        ? undefined
        : {
            entriesAt: walk.at,
            entriesEnd: walk.entriesEnd,
            groupsAddr: walk.groupsAddr,
            categorical: L.anyCategorical,
          },
  };
}
