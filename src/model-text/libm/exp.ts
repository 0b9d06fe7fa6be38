/**
 * exp(x) exactly as glibc 2.28+ computes it on x86-64 CPUs with FMA and AVX2 (`__exp_fma`, the variant
 * glibc's ifunc picks there; glibc 2.36 here): the same bits for every double, in every JavaScript runtime.
 *
 * The algorithm and its table are Arm's (optimized-routines, math/exp.c and exp_data.c, MIT OR
 * Apache-2.0 WITH LLVM-exception; glibc's sysdeps/ieee754/dbl-64/e_exp.c): exp(x) = 2^(k/N) * exp(r)
 * with N = 128, x = k ln2/N + r, 2^(k/N) from a table and exp(r) from a degree-5 polynomial. glibc's
 * FMA build lets the compiler fuse multiply-adds; every operation below is the one in that build's
 * machine code (gdb `disassemble __ieee754_exp_fma`), fused ones through the exact fma of fma.ts.
 * The constants and the table are read from this machine's libm.so.6 (`x/270gx &__exp_data`).
 */

import { fromWords, highWord, pow2 } from "./bits.js";
import { fma, fusedSum, SPLITTER } from "./fma.js";

const INV_LN2_N = fromWords(0x40671547, 0x652b82fe); // N/ln2
const NEG_LN2_HI_N = fromWords(0xbf762e42, 0xfefa0000); // -ln2/N, high part
const NEG_LN2_LO_N = fromWords(0xbd0cf79a, 0xbc9e3b3a); // -ln2/N, low part
const C2 = fromWords(0x3fdfffff, 0xfffffdbd);
const C3 = fromWords(0x3fc55555, 0x5555543c);
const C4 = fromWords(0x3fa55555, 0xcf172b91);
const C5 = fromWords(0x3f811111, 0x67a4d017);
const SHIFT = fromWords(0x43380000, 0); // 0x1.8p52: adding it rounds to an integer
const P1009 = pow2(1009);
const PM1022 = pow2(-1022);

/** The high half of Veltkamp's split (26 bits; the low half is c minus it), for products split once. */
function splitHigh(c: number): number {
  const t = SPLITTER * c;
  return t - (t - c);
}
const LO_H = splitHigh(NEG_LN2_LO_N);
const LO_L = NEG_LN2_LO_N - LO_H;
const C3_H = splitHigh(C3);
const C3_L = C3 - C3_H;
const C5_H = splitHigh(C5);
const C5_L = C5 - C5_H;
const TINY_R = pow2(-200); // |r| above this: no product below underflows (|r| is never near it)

/**
 * __exp_data.tab: for j in [0, 128), the bits of T[j] (2^(j/N) ~= H[j] * (1 + T[j])) and of H[j] minus
 * j << 45 (so that adding k << 45 for k = 128m + j gives the bits of 2^m * H[j]), two words each.
 */
// The table as hex, one j a row of four words (a string: a third of the size of 512 number literals)
const TAB_HEX =
  "00000000000000003ff0000000000000" +
  "3c9b3b4f1a88bf6e3feff63da9fb3335" +
  "bc7160139cd8dc5d3fefec9a3e778061" +
  "bc905e7a108766d13fefe315e86e7f85" +
  "3c8cd2523567f6133fefd9b0d3158574" +
  "bc8bce8023f98efa3fefd06b29ddf6de" +
  "3c60f74e61e6c8613fefc74518759bc8" +
  "3c90a3e45b33d3993fefbe3ecac6f383" +
  "3c979aa65d837b6d3fefb5586cf9890f" +
  "3c8eb51a92fdeffc3fefac922b7247f7" +
  "3c3ebe3d702f9cd13fefa3ec32d3d1a2" +
  "bc6a033489906e0b3fef9b66affed31b" +
  "bc9556522a2fbd0e3fef9301d0125b51" +
  "bc5080ef8c4eea553fef8abdc06c31cc" +
  "bc91c923b9d5f4163fef829aaea92de0" +
  "3c80d3e3e95c55af3fef7a98c8a58e51" +
  "bc801b15eaa593483fef72b83c7d517b" +
  "bc8f1ff055de323d3fef6af9388c8dea" +
  "3c8b898c3f1353bf3fef635beb6fcb75" +
  "bc96d99c7611eb263fef5be084045cd4" +
  "3c9aecf73e3a2f603fef54873168b9aa" +
  "bc8fe782cb86389d3fef4d5022fcd91d" +
  "3c8a6f4144a6c38d3fef463b88628cd6" +
  "3c807a05b0e4047d3fef3f49917ddc96" +
  "3c968efde3a8a8943fef387a6e756238" +
  "3c875e18f274487d3fef31ce4fb2a63f" +
  "3c80472b981fe7f23fef2b4565e27cdd" +
  "bc96b87b3f71085e3fef24dfe1f56381" +
  "3c82f7e16d09ab313fef1e9df51fdee1" +
  "bc3d219b1a6fbffa3fef187fd0dad990" +
  "3c8b3782720c0ab43fef1285a6e4030b" +
  "3c6e149289cecb8f3fef0cafa93e2f56" +
  "3c834d754db0abb63fef06fe0a31b715" +
  "3c864201e2ac744c3fef0170fc4cd831" +
  "3c8fdd395dd3f84a3feefc08b26416ff" +
  "bc86a3803b8e5b043feef6c55f929ff1" +
  "bc924aedcc4b50683feef1a7373aa9cb" +
  "bc9907f81b512d8e3feeecae6d05d866" +
  "bc71d1e83e9436d23feee7db34e59ff7" +
  "bc991919b3ce1b153feee32dc313a8e5" +
  "3c859f48a72a4c6d3feedea64c123422" +
  "bc9312607a28698a3feeda4504ac801c" +
  "bc58a78f4817895b3feed60a21f72e2a" +
  "bc7c2c9b67499a1b3feed1f5d950a897" +
  "3c4363ed60c2ac113feece086061892d" +
  "3c9666093b0664ef3feeca41ed1d0057" +
  "3c6ecce1daa103793feec6a2b5c13cd0" +
  "3c93ff8e3f0f12303feec32af0d7d3de" +
  "3c7690cebb7aafb03feebfdad5362a27" +
  "3c931dbdeb54e0773feebcb299fddd0d" +
  "bc8f94340071a38e3feeb9b2769d2ca7" +
  "bc87deccdc93a3493feeb6daa2cf6642" +
  "bc78dec6bd0f385f3feeb42b569d4f82" +
  "bc861246ec7b5cf63feeb1a4ca5d920f" +
  "3c93350518fdd78e3feeaf4736b527da" +
  "3c7b98b72f8a9b053feead12d497c7fd" +
  "3c9063e1e21c54093feeab07dd485429" +
  "3c34c7855019c6ea3feea9268a5946b7" +
  "3c9432e62b64c0353feea76f15ad2148" +
  "bc8ce44a6199769f3feea5e1b976dc09" +
  "bc8c33c53bef4da83feea47eb03a5585" +
  "bc845378892be9ae3feea34634ccc320" +
  "bc93cedd785658583feea23882552225" +
  "3c5710aa807e19643feea155d44ca973" +
  "bc93b3efbf5e22283feea09e667f3bcd" +
  "bc6a12ad8734b9823feea012750bdabf" +
  "bc6367efb86da9ee3fee9fb23c651a2f" +
  "bc80dc3d54e088513fee9f7df9519484" +
  "bc781f647e5a3ecf3fee9f75e8ec5f74" +
  "bc86ee4ac08b7db03fee9f9a48a58174" +
  "bc8619321e55e68a3fee9feb564267c9" +
  "3c909ccb5e09d4d33feea0694fde5d3f" +
  "bc7b32dcb94da51d3feea11473eb0187" +
  "3c94ecfd5467c06b3feea1ed0130c132" +
  "3c65ebe1abd66c553feea2f336cf4e62" +
  "bc88a1c52fb3cf423feea427543e1a12" +
  "bc9369b6f13b37343feea589994cce13" +
  "bc805e843a19ff1e3feea71a4623c7ad" +
  "bc94d450d872576e3feea8d99b4492ed" +
  "3c90ad675b0e8a003feeaac7d98a6699" +
  "3c8db72fc1f0eab43feeace5422aa0db" +
  "bc65b6609cc5e7ff3feeaf3216b5448c" +
  "3c7bf68359f35f443feeb1ae99157736" +
  "bc93091fa71e3d833feeb45b0b91ffc6" +
  "bc5da9b88b6c1e293feeb737b0cdc5e5" +
  "bc6c23f97c90b9593feeba44cbc8520f" +
  "bc92434322f4f9aa3feebd829fde4e50" +
  "bc85ca6cd7668e4b3feec0f170ca07ba" +
  "3c71affc2b91ce273feec49182a3f090" +
  "3c6dd235e10a73bb3feec86319e32323" +
  "bc87c504226222633feecc667b5de565" +
  "3c8b1c86e3e231d53feed09bec4a2d33" +
  "bc91bbd1d3bcbb153feed503b23e255d" +
  "3c90cc319cee31d23feed99e1330b358" +
  "3c8469846e735ab33feede6b5579fdbf" +
  "bc82dfcd978e9db43feee36bbfd3f37a" +
  "3c8c1a7792cb33873feee89f995ad3ad" +
  "bc907b8f4ad1d9fa3feeee07298db666" +
  "bc55c3d956dcaeba3feef3a2b84f15fb" +
  "bc90a40e3da6f6403feef9728de5593a" +
  "bc68d6f438ad93343feeff76f2fb5e47" +
  "bc91eee26b588a353fef05b030a1064a" +
  "3c74ffd70a5fddcd3fef0c1e904bc1d2" +
  "bc91bdfbfa9298ac3fef12c25bd71e09" +
  "3c736eae30af0cb33fef199bdd85529c" +
  "3c8ee3325c9ffd943fef20ab5fffd07a" +
  "3c84e08fd10959ac3fef27f12e57d14b" +
  "3c63cdaf384e1a673fef2f6d9406e7b5" +
  "3c676b2c6c9219683fef3720dcef9069" +
  "bc808a1883ccb5d23fef3f0b555dc3fa" +
  "bc8fad5d3ffffa6f3fef472d4a07897c" +
  "bc900dae3875a9493fef4f87080d89f2" +
  "3c74a385a63d07a73fef5818dcfba487" +
  "bc82919e2040220f3fef60e316c98398" +
  "3c8e5a50d5c192ac3fef69e603db3285" +
  "3c843a59ac016b4b3fef7321f301b460" +
  "bc82d52107b43e1f3fef7c97337b9b5f" +
  "bc892ab93b470dc93fef864614f5a129" +
  "3c74b604603a88d33fef902ee78b3ff6" +
  "3c83c5ec519d72713fef9a51fbc74c83" +
  "bc8ff7128fd391f03fefa4afa2a490da" +
  "bc8dae98e223747d3fefaf482d8e67f1" +
  "3c8ec3bc41aa20083fefba1bee615a27" +
  "3c842b94c3a9eb323fefc52b376bba97" +
  "3c8a64a931d185ee3fefd0765b6e4540" +
  "bc8e37bae43be3ed3fefdbfdad9cbe14" +
  "3c77893b4d91cd9d3fefe7c1819e90d8" +
  "3c5305c14160cc893feff3c22b8f71f1";
const TAB = new Uint32Array(512);
for (let i = 0; i < 512; i++) TAB[i] = Number.parseInt(TAB_HEX.slice(8 * i, 8 * i + 8), 16);

/** T[j] */
const TAIL = new Float64Array(128);
/** H[j] = 2^(j/N) rounded (the scale for k = j) */
const SCALE = new Float64Array(128);
/** 2^m for m in [-1022, 1023] at POW2[m + 1022] */
const POW2 = new Float64Array(2046);
for (let j = 0; j < 128; j++) {
  TAIL[j] = fromWords(TAB[4 * j], TAB[4 * j + 1]);
  SCALE[j] = fromWords(TAB[4 * j + 2] + (j << 13), TAB[4 * j + 3]);
}
for (let m = -1022; m <= 1023; m++) POW2[m + 1022] = pow2(m);

/**
 * The common case, 2^-54 <= |x| < 512, with every fused multiply-add written out (V8 would not inline
 * seven calls of fma): the same operations and roundings as expAnyX, about 10x faster.
 */
export function exp(x: number): number {
  const abstop = (highWord(x) >>> 20) & 0x7ff;
  if ((abstop - 0x3c9) >>> 0 >= 0x408 - 0x3c9) return expAnyX(x);
  // kd = fma(x, N/ln2, SHIFT) - SHIFT rounds the exact product to an integer (ties to even); rounding
  // the rounded product instead gives the same integer unless that product is a half-integer.
  const p = x * INV_LN2_N;
  const kd = p + SHIFT - SHIFT;
  if (p - kd === 0.5 || kd - p === 0.5) return expAnyX(x);
  const k = kd | 0;
  // r = fma(kd, -ln2lo/N, fma(kd, -ln2hi/N, x)): |kd| < 2^17 and ln2hi/N has 36 significant bits, so
  // kd * ln2hi/N is exact and the inner fma a plain sum; kd needs no split in the outer product.
  let q = kd * NEG_LN2_LO_N;
  const r = fusedSum(kd * NEG_LN2_HI_N + x, q, kd * LO_H - q + kd * LO_L);
  if (Math.abs(r) < TINY_R) return expAnyX(x);
  // r = rh + rl (Veltkamp), for the exact products of the fused multiply-adds below (Dekker)
  let t = SPLITTER * r;
  const rh = t - (t - r);
  const rl = r - rh;
  const r2 = r * r;
  // fma(r, C5, C4)
  q = r * C5;
  const a = fusedSum(C4, q, rh * C5_H - q + rh * C5_L + rl * C5_H + rl * C5_L);
  // fma(r, C3, C2)
  q = r * C3;
  const b = fusedSum(C2, q, rh * C3_H - q + rh * C3_L + rl * C3_H + rl * C3_L);
  // fma(b, r2, T[j] + r)
  const j = k & 127;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  t = SPLITTER * r2;
  const r2h = t - (t - r2);
  const r2l = r2 - r2h;
  q = b * r2;
  const c = fusedSum(TAIL[j] + r, q, bh * r2h - q + bh * r2l + bl * r2h + bl * r2l);
  // tmp = fma(r2 * r2, a, c)
  const r4 = r2 * r2;
  t = SPLITTER * r4;
  const r4h = t - (t - r4);
  const r4l = r4 - r4h;
  t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  q = r4 * a;
  const tmp = fusedSum(c, q, r4h * ah - q + r4h * al + r4l * ah + r4l * al);
  // fma(scale, tmp, scale), scale = 2^(k/N) = H[j] * 2^m exactly (|x| < 512 keeps it normal)
  const scale = SCALE[j] * POW2[(k >> 7) + 1022];
  t = SPLITTER * scale;
  const sh = t - (t - scale);
  const sl = scale - sh;
  t = SPLITTER * tmp;
  const th = t - (t - tmp);
  const tl = tmp - th;
  q = scale * tmp;
  return fusedSum(scale, q, sh * th - q + sh * tl + sl * th + sl * tl);
}

/** exp for any x, each fused multiply-add through fma: the edges (tiny, large, infinite, NaN) and the rare fallbacks. */
function expAnyX(x: number): number {
  const hx = highWord(x);
  const abstop = (hx >>> 20) & 0x7ff;
  let large = false;
  if ((abstop - 0x3c9) >>> 0 >= 0x408 - 0x3c9) {
    // |x| < 2^-54 (0 included): 1 + x rounds to 1 (and is NaN-free)
    if (abstop < 0x3c9) return 1 + x;
    if (abstop >= 0x409) {
      // |x| >= 1024, infinities and NaN
      if (x === Number.NEGATIVE_INFINITY) return 0;
      if (abstop >= 0x7ff) return 1 + x;
      return hx < 0 ? 0 : Number.POSITIVE_INFINITY;
    }
    // 512 <= |x| < 1024: the scale may leave the normal range, see below
    large = true;
  }
  // k = round(x N/ln2) (fused: no rounding of the product), r = x - k ln2/N
  const kd = fma(x, INV_LN2_N, SHIFT) - SHIFT;
  const k = kd | 0;
  const r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
  const j = k & 127;
  const r2 = r * r;
  const tmp = fma(r2 * r2, fma(r, C5, C4), fma(fma(r, C3, C2), r2, TAIL[j] + r));
  if (large) return specialCase(tmp, j, k);
  // scale = 2^(k/N): H[j] * 2^m, exact (|x| < 512 keeps it normal)
  const scale = SCALE[j] * POW2[(k >> 7) + 1022];
  return fma(scale, tmp, scale);
}

/** 512 <= |x| < 1024: the result may overflow, underflow or be subnormal (glibc's specialcase). */
function specialCase(tmp: number, j: number, k: number): number {
  // The scale's bits: H[j]'s with m = k >> 7 added to the exponent field, which may leave its range,
  // so it is first moved by 2^-1009 (k > 0) or 2^1022 (k < 0) and the result scaled back.
  const hi = highWord(SCALE[j]) + ((k >> 7) << 20);
  const lo = TAB[4 * j + 3];
  if (k >= 0) {
    const scale = fromWords(hi - (1009 << 20), lo);
    return P1009 * fma(scale, tmp, scale);
  }
  const scale = fromWords(hi + (1022 << 20), lo);
  const st = scale * tmp; // not fused in glibc's build: the product is used twice
  let y = scale + st;
  if (y < 1) {
    // Rounds y to the precision it will have as a subnormal before scaling it (no double rounding).
    let low = scale - y + st;
    const high = 1 + y;
    low = 1 - high + y + low;
    y = high + low - 1;
    if (y === 0) y = 0; // +0, never -0
  }
  return PM1022 * y;
}
