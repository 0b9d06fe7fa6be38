/**
 * log1p(x) exactly as glibc computes it on x86-64 CPUs with FMA and AVX2 (`__log1p_fma`, the variant
 * glibc's ifunc picks there; glibc 2.36 here): the same bits for every double, in every JavaScript runtime.
 *
 * The algorithm is fdlibm's s_log1p.c, as glibc carries it (sysdeps/ieee754/dbl-64/s_log1p.c):
 *   ====================================================
 *   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 *   Developed at SunPro, a Sun Microsystems, Inc. business.
 *   Permission to use, copy, modify, and distribute this
 *   software is freely granted, provided that this notice
 *   is preserved.
 *   ====================================================
 * 1 + x = 2^k (1 + f) with sqrt(2)/2 < 1 + f < sqrt(2), log(1 + f) from s = f / (2 + f) and a degree-14
 * polynomial, plus k ln2 and a correction for the rounding of 1 + x. glibc's FMA build lets the compiler
 * fuse multiply-adds; every operation below is the one in that build's machine code (gdb `disassemble
 * __log1p_fma`), fused ones through the exact fma of fma.ts.
 */

import { fromWords, highWord, withHighWord } from "./bits.js";
import { fma } from "./fma.js";

const LN2_HI = fromWords(0x3fe62e42, 0xfee00000);
const LN2_LO = fromWords(0x3dea39ef, 0x35793c76);
const LP1 = fromWords(0x3fe55555, 0x55555593);
const LP2 = fromWords(0x3fd99999, 0x9997fa04);
const LP3 = fromWords(0x3fd24924, 0x94229359);
const LP4 = fromWords(0x3fcc71c5, 0x1d8e78af);
const LP5 = fromWords(0x3fc74664, 0x96cb03de);
const LP6 = fromWords(0x3fc39a09, 0xd078c69f);
const LP7 = fromWords(0x3fc2f112, 0xdf3e5244);
const TWO_THIRDS = fromWords(0x3fe55555, 0x55555555);

export function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let hu = 0;
  let c = 0;
  if (hx < 0x3fda827a) {
    // x < 0.41422
    if (ax >= 0x3ff00000) return x === -1 ? Number.NEGATIVE_INFINITY : Number.NaN; // x <= -1 (or NaN)
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (ax < 0x3c900000) return x; // |x| < 2^-54
      return fma(-(x * x), 0.5, x);
    }
    if (hx > 0 || hx <= (0xbfd2bec3 | 0)) {
      // -0.2929 < x < 0.41422: 1 + x needs no reduction
      k = 0;
      f = x;
      hu = 1;
    }
  } else if (hx >= 0x7ff00000) return x + x; // +Infinity, NaN
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1); // the rounding error of 1 + x
      c /= u;
    } else {
      // x >= 2^53: 1 + x is x
      u = x;
      hu = hx;
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHighWord(u, hu | 0x3ff00000); // u / 2^k
    } else {
      k += 1;
      u = withHighWord(u, hu | 0x3fe00000); // u / 2^(k+1)
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : fma(k, LN2_HI, fma(k, LN2_LO, c));
    const R = fma(-f, TWO_THIRDS, 1) * hfsq;
    if (k === 0) return f - R;
    return fma(k, LN2_HI, -(R - fma(k, LN2_LO, c) - f));
  }
  const s = f / (2 + f);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z2 * z4;
  let R = fma(z, LP1, z2 * fma(z, LP3, LP2));
  R = fma(z4, fma(z, LP5, LP4), R);
  R = fma(z6, fma(z, LP7, LP6), R);
  const sr = (R + hfsq) * s;
  if (k === 0) return f - (hfsq - sr);
  return fma(k, LN2_HI, -(hfsq - (fma(k, LN2_LO, c) + sr) - f));
}
