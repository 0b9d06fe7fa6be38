/**
 * Quantised thresholds: what both evaluators of a compiled forest (the if/else code of compile.ts and the
 * table walk of walk.ts) compare. Per feature, the sorted distinct thresholds of its numerical splits are
 * a table; a row's value becomes its rank in that table (the number of thresholds below it), once per row,
 * and a split `x <= t` becomes the integer compare `rank(x) <= rank(t)`, exact by construction. Missing
 * values are folded into the rank per kind of split: a row keeps one rank slot per (feature, kind) the
 * model uses, where NaN (or zero, for missing type Zero) is a rank below or above every threshold, so the
 * split's default direction falls out of the same compare. A categorical slot holds the row's category.
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
import { Bytes, F64, type Func, I32, Op, VOID } from "./wasm-encoder.js";

/**
 * Where the model's tables (leaf values, threshold tables, bitsets, the walk's entries) start in the
 * module's memory; below them, the walk's rank row (walk.ts).
 */
export const TABLE_BASE = 4096;
/** Rank of a value that lies above every threshold (NaN for splits whose missing values go right). */
const RANK_HIGH = 0x7fffffff;
/**
 * Ranks are stored minus this bias, so that the constants of most splits fit a signed byte (x86 encodes
 * `cmp reg, imm8` in 4 bytes, `cmp reg, imm32` in 7): smaller code, fewer instruction-cache misses.
 */
const RANK_BIAS = 128;
/** The rank of every row's leaf slot: below every threshold, so the walk's leaf entries never move. */
export const LEAF_RANK = -0x80000000;

/** Kinds of rank slot: one per (feature, kind of split on it). */
const SLOT_NAN_RIGHT = 0;
const SLOT_NAN_LEFT = 1;
const SLOT_ZERO_RIGHT = 2;
const SLOT_ZERO_LEFT = 3;
export const SLOT_CATEGORY = 4;

export function slotKindOf(kind: number): number {
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

export interface Plan {
  shape: "value" | "branch";
  L: Layout;
  k: number;
  tables: Float64Array[];
  /** Per feature and slot kind: byte offset of the slot in a rank row, or -1. */
  slot: Int32Array;
  rankRowBytes: number;
  /** The walk's leaf slot (byte offset in a rank row, always LEAF_RANK), or -1 for a module without walk. */
  leafSlot: number;
  /**
   * Per feature with categorical splits, in modules with the walk: the slot of the row's category as a
   * one-word mask (1 << category; 0 for no category or one over 31), or -1.
   */
  maskSlot: Int32Array;
  /** Byte address (in memory) of each feature's padded threshold table. */
  tableAddr: Int32Array;
  leafAddr: number;
  catAddr: number;
  tableBytes: Uint8Array;
}

export function plan(model: ParsedModel, L: Layout, shape: "value" | "branch", withLeafSlot = false): Plan {
  const nf = L.numFeatures;
  const slot = new Int32Array(nf * 5).fill(-1);
  let nslots = 0;
  for (let i = 0; i < L.feat.length; i++) {
    const s = L.feat[i] * 5 + slotKindOf(L.kind[i]);
    if (slot[s] < 0) slot[s] = nslots++ * 4;
  }
  const maskSlot = new Int32Array(nf).fill(-1);
  if (withLeafSlot)
    for (let f = 0; f < nf; f++) if (slot[f * 5 + SLOT_CATEGORY] >= 0) maskSlot[f] = nslots++ * 4;
  // the walk's leaf slot, after the others: a rank below every threshold, so a leaf entry never moves
  const leafSlot = withLeafSlot ? nslots * 4 : -1;
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
    rankRowBytes: withLeafSlot ? nslots * 4 + 4 : Math.max(4, nslots * 4),
    leafSlot,
    maskSlot,
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
export function rankOf(p: Plan, node: number): number {
  const t = p.L.thr[node];
  if (Number.isNaN(t)) {
    const k = p.L.kind[node];
    return (k === KIND_NUM_NAN_LEFT || k === KIND_ZERO_LEFT ? -1 : -2) - RANK_BIAS;
  }
  return lowerBound(p.tables[p.L.feat[node]], t) - RANK_BIAS;
}

/**
 * quantize(x, q, n): the rank row of each of n rows. Per feature, a branch-free binary search over its
 * padded table (entries below the value are counted), then one store per slot kind with the missing-value
 * rule folded in.
 */
export function quantizeFunction(p: Plan): Func {
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
      if (p.maskSlot[f] >= 0) {
        // the walk's mask: 1 << category for categories 0 .. 31 (-1, none, is unsigned-above 31)
        b.get(1).i32(1).get(1).mem(Op.i32Load, 2, s(SLOT_CATEGORY)).op(Op.i32Shl).i32(0);
        b.get(1).mem(Op.i32Load, 2, s(SLOT_CATEGORY)).i32(32).op(Op.i32LtU);
        b.op(Op.select).mem(Op.i32Store, 2, p.maskSlot[f]);
      }
    }
  }
  if (p.leafSlot >= 0) b.get(1).i32(LEAF_RANK).mem(Op.i32Store, 2, p.leafSlot);
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
