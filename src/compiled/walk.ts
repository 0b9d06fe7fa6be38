/**
 * The table walk: the forest's second evaluator, for single rows and small batches of big models. Their
 * if/else code (compile.ts) is megabytes of machine code, more than the core's caches: a row that runs
 * through it spends its time fetching code (docs/compiled-engine.md). The walk reads the same quantised
 * splits (ranks.ts) as data instead, 8 bytes an entry, and walks WALK_K trees side by side without
 * branching: each step moves every cursor one level down (a cursor at a leaf stays there), so the K walks
 * overlap their loads, and there is no branch to mispredict but the loop's. Leaves are summed per group in
 * model order, so the raw scores are the if/else code's, bit for bit.
 *
 * An entry: i32 threshold rank (a leaf: its index in its tree); u16 address of the rank slot it compares
 * (in the walk's rank row at WALK_Q; a leaf reads the leaf slot, whose rank LEAF_RANK is the lowest i32,
 * so it never moves); u16 byte offset from the entry to its two children, side by side (0 for a leaf).
 * Per tree: its root entry, then every node's children, preorder (a path's entries stay close). A
 * categorical split (categories 0 .. 31) holds its one-word bitset instead of a rank, reads the row's
 * category mask (ranks.ts: 1 << category), and sets bit 0 of its children offset.
 *
 * The walk ranks one row at a time into one fixed rank row: it runs on the forest's own thread only (the
 * synchronous calls); worker threads use `run`.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

import { KIND_CATEGORICAL, type Layout } from "../model-text/layout.js";
import type { Plan } from "./ranks.js";
import { rankOf, slotKindOf, TABLE_BASE } from "./ranks.js";
import { Bytes, F64, type Func, I32, Op, VOID } from "./wasm-encoder.js";

/** The walk's rank row: below the tables. */
const WALK_Q = 0;
/** Trees walked side by side (measured 4-10 on the large bench model: 8 best). */
const WALK_K = 8;
/**
 * Models with at least this many splits get the walk (measured on the large bench model cut to 50, 100 and
 * 200 trees of 127 leaves, ~6k, 13k and 25k splits: the walk's single rows 1.14x, 1.37x, 1.55x the if/else
 * code's; on the shipped model, 3k splits, 0.4x).
 */
export const WALK_MIN_SPLITS = 8192;
/** Batches of at most this many rows take the walk (on the large model the if/else code's blocks win from ~64 rows). */
export const WALK_MAX_ROWS = 32;

export interface WalkOptions {
  /** "auto" (default): big models only; "always": every model it can take (tests); "never". */
  walk?: "auto" | "always" | "never";
}

/** Whether a model gets the walk (when walkTables takes it). */
export function wantsWalk(L: Layout, options: WalkOptions): boolean {
  const mode = options.walk ?? "auto";
  if (mode === "never" || L.anyLinear) return false;
  return mode === "always" || L.feat.length >= WALK_MIN_SPLITS;
}

export interface WalkTables {
  /** Bytes to copy at `at` in the memory. */
  bytes: Uint8Array;
  at: number;
  /** End of the entries (then 8 bytes of 0.0, the padding trees' leaf value, and the group table). */
  entriesEnd: number;
  groupsAddr: number;
  groupsEnd: number;
}

/**
 * The walk's entries and its group table (per group of WALK_K trees, per tree: root entry address, address
 * of its leaf values, byte offset of its output), or undefined for a model the walk does not take:
 * linear leaves and categories over 31 (the if/else code has them), a rank row that does not fit below the
 * tables, or a tree too big for an entry's 16-bit child offset.
 */
export function walkTables(p: Plan, at: number): WalkTables | undefined {
  const L = p.L;
  if (L.anyLinear || p.leafSlot < 0) return undefined;
  if (WALK_Q + p.rankRowBytes > TABLE_BASE) return undefined;
  let numEntries = 1; // entry 0: a leaf of value 0.0, for the cursors of a last group's missing trees
  for (let t = 0; t < L.numTrees; t++) numEntries += 2 * L.numLeaves[t] - 1;
  const numGroups = Math.ceil(L.numTrees / WALK_K);
  const zeroAt = at + numEntries * 8;
  const groupsAddr = zeroAt + 8;
  const words = new Int32Array(numEntries * 2 + 2 + numGroups * WALK_K * 3);
  const leafWord = WALK_Q + p.leafSlot;
  words[0] = 0;
  words[1] = leafWord;
  let e = 1;
  const roots = new Int32Array(L.numTrees);
  for (let t = 0; t < L.numTrees; t++) {
    roots[t] = at + e * 8;
    // (entry, node) pairs; a node's children get the next two entries when it is placed
    const stack: number[] = [e++, L.root[t]];
    while (stack.length > 0) {
      const c = stack.pop()!;
      const entry = stack.pop()!;
      if (c < 0) {
        words[2 * entry] = ~c - L.leafBase[t];
        words[2 * entry + 1] = leafWord;
        continue;
      }
      const pair = e;
      e += 2;
      const rel = (pair - entry) * 8;
      if (rel > 0xffff) return undefined;
      if (L.kind[c] === KIND_CATEGORICAL) {
        // categories 0 .. 31 only: the bitset is one word, tested against the row's mask; bit 0 of the
        // children offset says so
        if (L.catWords[c] > 1) return undefined;
        words[2 * entry] = L.catWords[c] === 1 ? L.catBits[L.catStart[c]] | 0 : 0;
        words[2 * entry + 1] = (WALK_Q + p.maskSlot[L.feat[c]]) | ((rel | 1) << 16);
      } else {
        words[2 * entry] = rankOf(p, c);
        words[2 * entry + 1] = (WALK_Q + p.slot[L.feat[c] * 5 + slotKindOf(L.kind[c])]) | (rel << 16);
      }
      stack.push(pair + 1, L.right[c], pair, L.left[c]);
    }
  }
  const g0 = (groupsAddr - at) / 4;
  for (let i = 0; i < numGroups * WALK_K; i++) {
    const w = g0 + i * 3;
    if (i < L.numTrees) {
      words[w] = roots[i];
      words[w + 1] = p.leafAddr + 8 * L.leafBase[i];
      words[w + 2] = (i % p.k) * 8;
    } else {
      // adds 0.0 to output 0: an accumulator that started at +0.0 is never -0.0, so this changes no bit
      words[w] = at;
      words[w + 1] = zeroAt;
      words[w + 2] = 0;
    }
  }
  return {
    bytes: new Uint8Array(words.buffer),
    at,
    entriesEnd: zeroAt,
    groupsAddr,
    groupsEnd: groupsAddr + numGroups * WALK_K * 12,
  };
}

/**
 * walk(x, n, out, q): raw scores of n rows at x to out, one row at a time (q is unused: the walk ranks into
 * WALK_Q). Per group of WALK_K trees: every cursor steps until none moved to an inner entry.
 */
export function walkFunction(p: Plan, w: WalkTables, quantizeIndex: number): Func {
  const { L, k } = p;
  const nf = L.numFeatures;
  const G = 4; // group table pointer
  const C = 5; // WALK_K cursors
  const T = C + WALK_K;
  const MOVED = T + 1;
  // models with categorical splits: two more locals, for a step that tests either kind of entry
  const categorical = p.L.anyCategorical;
  const R = MOVED + 1;
  const W = R + 1;
  const ACC = categorical ? W + 1 : MOVED + 1; // f64
  const b = new Bytes(4096);
  b.op(Op.block).byte(VOID).op(Op.loop).byte(VOID);
  b.get(1).op(Op.i32Eqz).op(Op.brIf).u32(1);
  b.get(0).i32(WALK_Q).i32(1).op(Op.call).u32(quantizeIndex);
  if (k !== 1)
    for (let c = 0; c < k; c++)
      b.get(2)
        .f64c(0)
        .mem(Op.f64Store, 3, c * 8);
  b.f64c(0).set(ACC);
  b.i32(w.groupsAddr).set(G);
  b.op(Op.loop).byte(VOID);
  for (let j = 0; j < WALK_K; j++)
    b.get(G)
      .mem(Op.i32Load, 2, j * 12)
      .set(C + j);
  b.op(Op.loop).byte(VOID);
  b.i32(0).set(MOVED);
  for (let j = 0; j < WALK_K; j++) {
    const c = C + j;
    // c = c + children offset + 8 * (rank > threshold); then note whether c is an inner entry
    if (!categorical) {
      b.get(c).mem(Op.i32Load16U, 1, 4).mem(Op.i32Load, 2, 0);
      b.get(c).mem(Op.i32Load, 2, 0).op(Op.i32GtS).i32(3).op(Op.i32Shl);
      b.get(c).get(c).mem(Op.i32Load16U, 1, 6);
      b.op(Op.i32Add).op(Op.i32Add).tee(c);
    } else {
      // a categorical entry (bit 0 of its offset) goes right when the row's mask is not in its bitset
      b.get(c).mem(Op.i32Load16U, 1, 4).mem(Op.i32Load, 2, 0).set(R);
      b.get(c).mem(Op.i32Load, 2, 0).set(W);
      b.get(R).get(W).op(Op.i32And).op(Op.i32Eqz);
      b.get(R).get(W).op(Op.i32GtS);
      b.get(c).mem(Op.i32Load16U, 1, 6).tee(W).i32(1).op(Op.i32And);
      b.op(Op.select).i32(3).op(Op.i32Shl);
      b.get(c).op(Op.i32Add).get(W).i32(-8).op(Op.i32And).op(Op.i32Add).tee(c);
    }
    b.mem(Op.i32Load16U, 1, 6).get(MOVED).op(Op.i32Or).set(MOVED);
  }
  b.get(MOVED).op(Op.brIf).u32(0);
  b.op(Op.end);
  // the group's leaves, in model order
  for (let j = 0; j < WALK_K; j++) {
    const leafValue = () =>
      b
        .get(G)
        .mem(Op.i32Load, 2, j * 12 + 4)
        .get(C + j)
        .mem(Op.i32Load, 2, 0)
        .i32(3)
        .op(Op.i32Shl)
        .op(Op.i32Add)
        .mem(Op.f64Load, 3, 0);
    if (k === 1) {
      b.get(ACC);
      leafValue();
      b.op(Op.f64Add).set(ACC);
    } else {
      b.get(2)
        .get(G)
        .mem(Op.i32Load, 2, j * 12 + 8)
        .op(Op.i32Add)
        .tee(T);
      b.get(T).mem(Op.f64Load, 3, 0);
      leafValue();
      b.op(Op.f64Add).mem(Op.f64Store, 3, 0);
    }
  }
  b.get(G)
    .i32(WALK_K * 12)
    .op(Op.i32Add)
    .tee(G)
    .i32(w.groupsEnd)
    .op(Op.i32Ne)
    .op(Op.brIf)
    .u32(0);
  b.op(Op.end);
  if (k === 1) b.get(2).get(ACC).mem(Op.f64Store, 3, 0);
  b.get(0)
    .i32(nf * 8)
    .op(Op.i32Add)
    .set(0);
  b.get(2)
    .i32(k * 8)
    .op(Op.i32Add)
    .set(2);
  b.get(1).i32(1).op(Op.i32Sub).set(1).op(Op.br).u32(0);
  b.op(Op.end).op(Op.end);
  return {
    type: 2,
    locals: [
      [1 + WALK_K + (categorical ? 4 : 2), I32],
      [1, F64],
    ],
    body: b,
    export: "walk",
  };
}
