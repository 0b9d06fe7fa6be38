/**
 * A double's IEEE 754 bits as two 32-bit words, for the libm ports (exp.ts, log1p.ts,
 * fma.ts), which read and build doubles the way glibc's C does with GET_HIGH_WORD / asdouble.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Typed arrays use the platform's byte order: find which word holds the sign and exponent.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** The high word (sign, exponent, top 20 mantissa bits) as a signed 32-bit integer, like glibc's int32_t hx. */
export function highWord(x: number): number {
  f64[0] = x;
  return u32[HI] | 0;
}

/** The low word (the low 32 mantissa bits), unsigned. */
export function lowWord(x: number): number {
  f64[0] = x;
  return u32[LO];
}

/** The double whose bits are hi:lo (each taken modulo 2^32). */
export function fromWords(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0];
}

/** x with its high word replaced (glibc's SET_HIGH_WORD). */
export function withHighWord(x: number, hi: number): number {
  f64[0] = x;
  u32[HI] = hi;
  return f64[0];
}

/** 2^e, exactly, for an integer e in [-1074, 1023] (built from bits: `2 ** e` is implementation-approximated). */
export function pow2(e: number): number {
  if (e >= -1022) return fromWords((e + 1023) << 20, 0);
  // subnormal: a single mantissa bit
  const bit = e + 1074; // 0..51
  return bit >= 32 ? fromWords(1 << (bit - 32), 0) : fromWords(0, 1 << bit);
}
