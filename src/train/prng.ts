/**
 * A tiny seeded PRNG for the validation split. Written by hand because Math.random cannot be seeded,
 * and the split must be the same on every run and machine for a fixed seed (reproducible bundles);
 * a dependency for ten lines is not worth it. mulberry32: 32-bit state, good enough for shuffling.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits row indices 0..n-1 into train and validation sets (each in ascending order) with a seeded shuffle. */
export function splitRows(
  n: number,
  validFraction: number,
  seed: number,
): { train: Int32Array; valid: Int32Array } {
  const nValid = Math.round(n * validFraction);
  if (nValid === 0) return { train: Int32Array.from({ length: n }, (_, i) => i), valid: new Int32Array(0) };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  // Fisher–Yates.
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const valid = order.slice(0, nValid).sort();
  const train = order.slice(nValid).sort();
  return { train, valid };
}
