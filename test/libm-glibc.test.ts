/**
 * src/model-text/libm against the real glibc: the output transforms the js and wasm engines (and the browser
 * entry) apply in TypeScript must give the bits the addon's OutputConverter gets from the C library, which
 * are the bits LightGBM gets (same calls). 600k inputs per transform: uniform over the range exp is finite
 * in, raw-score ranges, tiny values, values next to multiples of ln2/128 (the table's points and the
 * rounding of k), the overflow and subnormal edges, and random bit patterns (NaN, infinities, subnormals).
 * And fma, the emulated fused multiply-add under both, against exact BigInt arithmetic, ties included.
 * The glibc comparison runs where the C library is glibc's FMA variant (test/helpers/libm.ts).
 */
import { describe, expect, it } from "vitest";
import { fma } from "../src/model-text/libm/fma.js";
import { transformFor } from "../src/model-text/transform.js";
import { TRANSFORM_CODE } from "../src/native/binding.js";
import { loadBinding } from "../src/native/loader.js";
import { LIBM_EXACT } from "./helpers/libm.js";

/** A seeded xorshift32 in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function inputs(n: number, seed: number): Float64Array {
  const r = random(seed);
  const x = new Float64Array(n);
  const words = new Uint32Array(x.buffer);
  for (let i = 0; i < n; i++) {
    switch (i % 8) {
      case 0:
        x[i] = (r() - 0.5) * 1500;
        break;
      case 1:
        x[i] = (r() - 0.5) * 80;
        break;
      case 2:
        x[i] = (r() - 0.5) * 2 * 10 ** (-20 * r());
        break;
      case 3:
        words[2 * i] = (r() * 2 ** 32) >>> 0;
        words[2 * i + 1] = (r() * 2 ** 32) >>> 0;
        break;
      case 4:
        x[i] = -708 - r() * 40;
        break;
      case 5:
        x[i] = 709 + r();
        break;
      case 6:
        x[i] = ((Math.round((r() - 0.5) * 4000) + (r() < 0.5 ? 0.5 : 0)) / 128) * Math.LN2;
        break;
      default:
        x[i] = (r() - 0.5) * 6;
    }
  }
  return x;
}

/** How many values differ in their bits (NaNs of any payload count as equal). */
function differences(a: Float64Array, b: Float64Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) n++;
  return n;
}

const cases = [
  { objective: "poisson", kind: "exp", sigmoid: 1, k: 1 },
  { objective: "binary sigmoid:1", kind: "sigmoid", sigmoid: 1, k: 1 },
  { objective: "binary sigmoid:0.7", kind: "sigmoid", sigmoid: 0.7, k: 1 },
  { objective: "multiclassova num_class:3 sigmoid:2.5", kind: "sigmoidPerClass", sigmoid: 2.5, k: 3 },
  { objective: "multiclass num_class:3", kind: "softmax", sigmoid: 1, k: 3 },
  { objective: "cross_entropy_lambda", kind: "log1pExp", sigmoid: 1, k: 1 },
] as const;

describe.skipIf(!LIBM_EXACT)("exp and log1p in TypeScript give glibc's bits", () => {
  it.each(cases)(
    "$objective: 600k values equal the addon's OutputConverter (glibc)",
    ({ objective, kind, sigmoid, k }) => {
      const { OutputConverter } = loadBinding();
      const x = inputs(600_000, 7 + k * 31 + Math.round(sigmoid * 10));
      const ours = x.slice();
      const glibc = x.slice();
      const transform = transformFor(objective);
      expect(transform).not.toBeNull();
      for (let o = 0; o < x.length; o += k) transform?.(ours, o, k);
      new OutputConverter(TRANSFORM_CODE[kind], sigmoid, k, 0).convert(glibc, x.length / k);
      expect(differences(ours, glibc)).toBe(0);
    },
  );

  it("the comparison can tell: V8's Math.exp differs from glibc's on these inputs", () => {
    const { OutputConverter } = loadBinding();
    const x = inputs(600_000, 99);
    const glibc = x.slice();
    new OutputConverter(TRANSFORM_CODE.exp, 1, 1, 0).convert(glibc, x.length);
    expect(differences(x.map(Math.exp), glibc)).toBeGreaterThan(1000);
  });
});

/** A finite double as m * 2^e with an integer m. */
function exact(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) m |= 1n << 52n;
  return [hi >>> 31 ? -m : m, (biased === 0 ? 1 : biased) - 1075];
}

/** a * b + c rounded once to nearest, ties to even: the reference, in exact integer arithmetic. */
function referenceFma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || a === 0 || b === 0)
    return a * b + c;
  const [ma, ea] = exact(a);
  const [mb, eb] = exact(b);
  const [mc, ec] = exact(c);
  const e = Math.min(ea + eb, ec);
  let m = ((ma * mb) << BigInt(ea + eb - e)) + (mc << BigInt(ec - e));
  if (m === 0n) return 0;
  const negative = m < 0n;
  if (negative) m = -m;
  const top = m.toString(2).length - 1 + e;
  let exp = e;
  const lsb = Math.max(top - 52, -1074);
  if (lsb > e) {
    const shift = BigInt(lsb - e);
    const rest = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    exp = lsb;
  }
  // m * 2^exp, exactly (Number(m) has at most 54 bits here and scaling by a power of two is exact)
  let value = Number(m);
  for (; exp > 0; exp--) value *= 2;
  for (; exp < 0; exp++) value /= 2;
  return negative ? -value : value;
}

describe("fma (the fused multiply-add under exp and log1p)", () => {
  it("equals exact arithmetic on 60k random triples of every magnitude", () => {
    const r = random(2024);
    const words = new Uint32Array(2);
    const f = new Float64Array(words.buffer);
    const any = () => {
      words[0] = (r() * 2 ** 32) >>> 0;
      words[1] = (r() * 2 ** 32) >>> 0;
      return f[0];
    };
    const near = () => (r() - 0.5) * 2 ** Math.floor((r() - 0.5) * 60);
    let bad = 0;
    for (let i = 0; i < 60_000; i++) {
      const [a, b, c] = i % 3 === 0 ? [any(), any(), any()] : [near(), near(), near()];
      if (!Object.is(fma(a, b, c), referenceFma(a, b, c)) && !Number.isNaN(referenceFma(a, b, c))) bad++;
    }
    expect(bad).toBe(0);
  });

  it("settles sums exactly halfway between two doubles by the product's discarded bits", () => {
    const r = random(77);
    let ties = 0;
    for (let i = 0; i < 20_000; i++) {
      // c + half an ulp of c (+- a few bits of the product's low part): exactly a tie, or just off one
      const c = 1 + Math.floor(r() * 2 ** 20) * 2 ** -52;
      const a = 2 ** -53 * (1 + (Math.floor(r() * 3) - 1) * 2 ** -52);
      const b = 1 + (Math.floor(r() * 3) - 1) * 2 ** -52;
      const want = referenceFma(a, b, c);
      if (a * b === 2 ** -53) ties++;
      expect(fma(a, b, c)).toBe(want);
      expect(fma(-a, b, -c)).toBe(-want);
    }
    expect(ties).toBeGreaterThan(1000);
  });
});
