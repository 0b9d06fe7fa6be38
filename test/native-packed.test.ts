/**
 * The native engine's packed-tree kernel (native/packed_forest.cc) against LightGBM itself (the same
 * engine with packedTrees: false, whose batches go through LGBM_BoosterPredictForMat): raw and normal
 * outputs must be identical (Object.is) on every zoo model, on the zoo rows and on random rows that probe
 * every threshold, NaN, +-0, +-kZeroThreshold, infinities and categories in and out of the bitsets. The
 * kernel uses the same libm as LightGBM for the output transforms, so normal outputs match bit for bit too.
 * Also: a layout the kernel cannot trust is refused with an error (never a crash or an endless walk).
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { NativeEngine, SMALL_BATCH_ROWS } from "../src/engines/native.js";
import { JsEngine } from "../src/js.js";
import { loadBinding } from "../src/native/binding.js";
import { firstNotIdentical, loadZoo, probeRow, zooNames } from "./js-fixtures.js";

const TYPES = ["raw", "normal"] as const;

describe.each(zooNames())("packed-tree kernel on zoo model %s", (name) => {
  const c = loadZoo(name);
  const linear = c.modelText.includes("is_linear=1");
  const packed = NativeEngine.fromString(c.modelText, { numThreads: 2 });
  const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 2, packedTrees: false });
  afterAll(() => {
    packed.dispose();
    lightgbm.dispose();
  });

  it(linear ? "is off for linear trees" : "is on, and matches LightGBM on the zoo rows", () => {
    expect(packed.packedTrees).toBe(!linear);
    expect(lightgbm.packedTrees).toBe(false);
    for (const type of TYPES) {
      const want = lightgbm.predict(c.X, c.nrow, { type });
      // one-thread calls of any size, small batches, and single rows take the kernel
      expect(firstNotIdentical(packed.predict(c.X, c.nrow, { type, numThreads: 1 }), want), type).toBe(-1);
      const width = packed.outputWidth({ type });
      for (let r0 = 0; r0 < c.nrow; r0 += SMALL_BATCH_ROWS) {
        const n = Math.min(SMALL_BATCH_ROWS, c.nrow - r0);
        const got = packed.predict(c.X.subarray(r0 * c.ncol, (r0 + n) * c.ncol), n, { type });
        expect(firstNotIdentical(got, want.subarray(r0 * width, (r0 + n) * width)), `${type} @${r0}`).toBe(
          -1,
        );
      }
      const out = new Float64Array(width);
      for (let r = 0; r < c.nrow; r++) {
        packed.predictRow(c.X.subarray(r * c.ncol, (r + 1) * c.ncol), { type }, out);
        expect(firstNotIdentical(out, want.subarray(r * width, (r + 1) * width)), `${type} row ${r}`).toBe(
          -1,
        );
      }
    }
  });

  // (linear models never reach the kernel: the test above checks that it is off for them)
  if (!linear)
    it("matches LightGBM on random rows (fast-check)", () => {
      const row = probeRow(JsEngine.fromString(c.modelText));
      fc.assert(
        fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), (rows) => {
          const X = Float64Array.from(rows.flat());
          for (const type of TYPES) {
            const want = lightgbm.predict(X, rows.length, { type, numThreads: 2 });
            const got = packed.predict(X, rows.length, { type, numThreads: 1 });
            expect(firstNotIdentical(got, want), type).toBe(-1);
          }
        }),
        { numRuns: 60, seed: 20261125 },
      );
    });
});

describe("packed-tree kernel", () => {
  const c = loadZoo("binary");

  it("is on by default, off when asked", () => {
    const a = NativeEngine.fromString(c.modelText);
    const b = NativeEngine.fromString(c.modelText, { packedTrees: false });
    expect(a.packedTrees).toBe(true);
    expect(b.packedTrees).toBe(false);
    a.dispose();
    b.dispose();
  });

  it("leaves iteration ranges, leaf and SHAP outputs and threaded large batches to LightGBM, with the same numbers", () => {
    const packed = NativeEngine.fromString(c.modelText, { numThreads: 2 });
    const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 2, packedTrees: false });
    const X5 = c.X.subarray(0, 5 * c.ncol);
    for (const opts of [
      { startIteration: 1, numIterations: 3 },
      { type: "leaf" as const },
      { type: "contrib" as const },
    ]) {
      expect(firstNotIdentical(packed.predict(X5, 5, opts), lightgbm.predict(X5, 5, opts))).toBe(-1);
    }
    expect(firstNotIdentical(packed.predict(c.X, c.nrow), lightgbm.predict(c.X, c.nrow))).toBe(-1);
    packed.dispose();
    lightgbm.dispose();
  });

  it("runs one-thread async calls on the thread pool, and survives a dispose during the call", async () => {
    const packed = NativeEngine.fromString(c.modelText, { numThreads: 1 });
    const lightgbm = NativeEngine.fromString(c.modelText, { numThreads: 2, packedTrees: false });
    const reps = 200; // the zoo rows repeated: long enough to still be running when dispose() is called
    const X = new Float64Array(c.X.length * reps);
    for (let i = 0; i < reps; i++) X.set(c.X, i * c.X.length);
    const n = c.nrow * reps;
    for (const type of TYPES) {
      const want = await lightgbm.predictAsync(X, n, { type });
      expect(firstNotIdentical(await packed.predictAsync(X, n, { type }), want), type).toBe(-1);
    }
    const running = packed.predictAsync(X, n);
    packed.dispose();
    expect(firstNotIdentical(await running, await lightgbm.predictAsync(X, n))).toBe(-1);
    await expect(packed.predictAsync(X, n)).rejects.toThrow(/disposed/);
    lightgbm.dispose();
  });

  it("checks its arguments: typed array kinds and lengths", async () => {
    const e = NativeEngine.fromString(c.modelText);
    expect(() => e.predict(new Float32Array(c.ncol) as unknown as Float64Array, 1)).toThrow(TypeError);
    expect(() => e.predict(new Float64Array(c.ncol + 1), 1)).toThrow(/expected nrow \* ncol/);
    expect(() => e.predict(new Float64Array(c.ncol), 1.5)).toThrow(/integer/);
    expect(() => e.predictRow(new Float64Array(c.ncol), {}, new Float64Array(0))).toThrow(RangeError);
    expect(() => e.predictRow(new Float64Array(c.ncol + 1))).toThrow(RangeError);
    await expect(e.predictAsync(new Float64Array(c.ncol + 1), 1)).rejects.toThrow(/expected nrow \* ncol/);
    e.predictRow(new Float64Array(c.ncol)); // binds the kernel's row path
    e.dispose();
    expect(() => e.predictRow(new Float64Array(c.ncol))).toThrow(/disposed/);
  });

  describe("refuses layouts it cannot trust", () => {
    const { PackedForest } = loadBinding();
    // One tree: record 0 splits feature 0 at 0.5, records 1 and 2 are its leaves.
    const good = () => {
      const buf = new ArrayBuffer(3 * 16);
      const F = new Float64Array(buf);
      const I = new Int32Array(buf);
      F[0] = 0.5;
      I[2] = 2;
      I[3] = (0 << 3) | 1;
      F[2] = -1;
      I[7] = 7;
      F[4] = 1;
      I[11] = 7;
      return { F, I };
    };
    const make = (F: Float64Array, roots = [0], nf = 1, k = 1, cat?: [number[], number[], number[]]) =>
      new PackedForest(
        F,
        Int32Array.from(roots),
        Int32Array.from(cat?.[0] ?? []),
        Int32Array.from(cat?.[1] ?? []),
        Uint32Array.from(cat?.[2] ?? []),
        nf,
        k,
        0,
        1,
        false,
      );

    it("accepts a good one and predicts with it", () => {
      const { F } = good();
      const p = make(F);
      const out = new Float64Array(2);
      p.predict(Float64Array.of(0.2, 0.9), 2, out, true);
      expect([...out]).toEqual([-1, 1]);
      p.dispose();
      expect(() => p.predict(Float64Array.of(0.2), 1, out, true)).toThrow(/disposed/);
    });

    it("bindRow: a run() over two bound arrays, checked once; it throws after dispose()", () => {
      const p = make(good().F);
      const input = new Float64Array(1);
      const output = new Float64Array(1);
      const run = p.bindRow(input, output, true);
      for (const [x, want] of [
        [0.2, -1],
        [0.5, -1],
        [0.7, 1],
        [Number.NaN, -1], // kind 1: NaN goes left (the general walk)
      ]) {
        input[0] = x;
        run();
        expect(output[0], String(x)).toBe(want);
      }
      expect(() => p.bindRow(new Float64Array(2), output, true)).toThrow(RangeError);
      expect(() => p.bindRow(input, new Float64Array(2), true)).toThrow(RangeError);
      expect(() => p.bindRow(new Float32Array(1) as unknown as Float64Array, output, true)).toThrow(
        TypeError,
      );
      expect(() => p.bindRow(input, [0] as unknown as Float64Array, true)).toThrow(TypeError);
      p.dispose();
      expect(run).toThrow(/disposed/);
      expect(() => p.bindRow(input, output, true)).toThrow(/disposed/);
    });

    it.each([
      ["a right child out of range", ({ I }: ReturnType<typeof good>) => (I[2] = 3)],
      ["a right child before its node (a cycle)", ({ I }: ReturnType<typeof good>) => (I[2] = 0)],
      ["a right child that is the left one", ({ I }: ReturnType<typeof good>) => (I[2] = 1)],
      ["a feature out of range", ({ I }: ReturnType<typeof good>) => (I[3] = (5 << 3) | 1)],
      ["an unknown kind", ({ I }: ReturnType<typeof good>) => (I[3] = 5)],
      ["a categorical node without a bitset", ({ I }: ReturnType<typeof good>) => (I[3] = 4)],
    ])("%s", (_what, corrupt) => {
      const g = good();
      corrupt(g);
      expect(() => make(g.F)).toThrow(RangeError);
    });

    it("a bitset outside catBits, a root out of range, trees not a multiple of the classes", () => {
      const g = good();
      g.I[3] = 4;
      expect(() => make(g.F, [0], 1, 1, [[0, 0, 0], [2, 0, 0], [1]])).toThrow(RangeError);
      expect(() => make(good().F, [3])).toThrow(RangeError);
      expect(() => make(good().F, [0], 1, 2)).toThrow(RangeError);
      expect(() => make(new Float64Array(3))).toThrow(RangeError);
      expect(() => make(new Float32Array(6) as unknown as Float64Array)).toThrow(TypeError);
    });
  });
});
