/**
 * fma(a, b, c): a * b + c rounded once (to nearest, ties to even), as x86-64's vfmadd instructions
 * compute it, for every double input. glibc's FMA builds of exp and log1p (exp.ts, log1p.ts)
 * fuse multiply-adds; JavaScript has no fused multiply-add, so it is emulated here (hand-written: no
 * JavaScript library does it exactly).
 *
 * Fast path (every call the libm ports make): the product exactly as a sum of two doubles (Veltkamp's
 * split and Dekker's product), c added exactly (Knuth's TwoSum), the low parts added with one rounding,
 * then the only case where that second rounding could change the result, a sum exactly halfway between
 * two doubles, is detected and settled by the sign of the discarded error. It holds while nothing
 * overflows or underflows; inputs or results outside those bounds (and infinities, NaN, zeros) take
 * an exact path in BigInt arithmetic.
 */

import { highWord, lowWord, pow2 } from "./bits.js";

export const SPLITTER = 134217729; // 2^27 + 1: Veltkamp's split into two 26-bit halves
const BIG = pow2(995); // |a|, |b|, |c|, |a*b| below this: no overflow anywhere in the fast path
const TINY = pow2(-960); // |a*b| and the result above this: the product's low part is exact

export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  // a * b = p + pl exactly
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const r = fusedSum(c, p, ah * bh - p + ah * bl + al * bh + al * bl);
  // The steps are exact while nothing overflows or underflows: otherwise the exact path.
  const big = Math.max(Math.abs(a), Math.abs(b), Math.abs(c), Math.abs(p));
  const small = Math.min(Math.abs(p), Math.abs(r));
  return big < BIG && small > TINY ? r : fmaExact(a, b, c);
}

/**
 * c + p + pl rounded once, where p + pl is an exact product (p its rounding): the sum part of fma, also
 * used by exp.ts with products it splits itself. Exact while nothing overflows or underflows.
 */
export function fusedSum(c: number, p: number, pl: number): number {
  // c + p = th + tl exactly (Knuth's TwoSum)
  const th = c + p;
  let z = th - c;
  const tl = c - (th - z) + (p - z);
  // tl + pl = v + e exactly; the sum is th + v + e
  const v = tl + pl;
  z = v - tl;
  const e = tl - (v - z) + (pl - z);
  const r = th + v;
  // th + v = r + f exactly. e is far below half an ulp of r (it is below half an ulp of v, and v is a
  // few ulps of th at most), so r is the rounding of th + v + e unless th + v sits exactly halfway
  // between r and its neighbour r + 2f; then e decides. The rarely true test comes first: the others
  // are data-dependent coin flips a branch predictor would miss.
  z = r - th;
  const f = th - (r - z) + (v - z);
  if (r + 2 * f - r === 2 * f && f !== 0 && e !== 0 && f > 0 === e > 0) return r + 2 * f;
  return r;
}

/** The exact path: specials by IEEE 754's rules, finite values as integers times powers of two. */
function fmaExact(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0 || b === 0) {
    // a * b is exact here (an infinity, NaN or a signed zero), and so is IEEE's sum with c
    return a * b + c;
  }
  if (!Number.isFinite(c)) return c + 0; // an infinity or NaN absorbs any finite product
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const [mc, ec] = decompose(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  const sum = ((ma * mb) << BigInt(ep - e)) + (mc << BigInt(ec - e));
  if (sum === 0n) return 0; // exact cancellation of nonzero terms: +0 when rounding to nearest
  return roundBig(sum, e);
}

/** A finite double as m * 2^e with a signed integer m. */
function decompose(x: number): [bigint, number] {
  const hi = highWord(x);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lowWord(x));
  if (biased !== 0) m |= 1n << 52n;
  return [hi < 0 ? -m : m, (biased === 0 ? 1 : biased) - 1075];
}

/** m * 2^e (m a nonzero integer) rounded to the nearest double, ties to even, subnormals and overflow included. */
function roundBig(m: bigint, e: number): number {
  const negative = m < 0n;
  let mag = negative ? -m : m;
  const top = mag.toString(2).length - 1 + e; // the exponent of the leading bit
  if (top > 1023) return negative ? -Infinity : Infinity;
  const lsb = Math.max(top - 52, -1074); // the exponent of the last bit a double keeps
  let exp = e;
  if (lsb > e) {
    const shift = BigInt(lsb - e);
    const rest = mag & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    mag >>= shift;
    if (rest > half || (rest === half && (mag & 1n) === 1n)) mag += 1n;
    exp = lsb;
    if (mag === 1n << 53n) {
      mag = 1n << 52n;
      exp += 1;
    }
    if (exp + 52 > 1023) return negative ? -Infinity : Infinity;
  }
  const r = Number(mag) * pow2(exp); // exact: mag has at most 53 bits and the result is representable
  return negative ? -r : r;
}
