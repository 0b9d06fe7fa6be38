/** Helpers shared by the js-* tests: reading the LightGBM zoo fixtures (test/fixtures/zoo). */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ZOO_DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "zoo");

type Num = number | "NaN" | "Infinity" | "-Infinity";

export interface ZooCase {
  name: string;
  ncol: number;
  objective: string;
  modelText: string;
  /** Row-major ncol-wide matrix. */
  X: Float64Array;
  nrow: number;
  expected: { normal: Float64Array; raw: Float64Array; leaf: Float64Array; contrib: Float64Array | null };
  iterations: {
    start: number;
    num: number;
    normal: Float64Array;
    raw: Float64Array;
    leaf: Float64Array;
    contrib: Float64Array | null;
  };
}

export function decodeNum(v: Num): number {
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  return v;
}

const arr = (a: Num[] | null): Float64Array | null => (a === null ? null : Float64Array.from(a, decodeNum));

export function zooNames(): string[] {
  return readdirSync(ZOO_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadZoo(name: string): ZooCase {
  const dir = join(ZOO_DIR, name);
  const raw = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8"));
  const rows: Num[][] = raw.X;
  const X = new Float64Array(rows.length * raw.ncol);
  rows.forEach((r, i) => {
    r.forEach((v, j) => {
      X[i * raw.ncol + j] = decodeNum(v);
    });
  });
  return {
    name: raw.name,
    ncol: raw.ncol,
    objective: raw.objective,
    modelText: readFileSync(join(dir, "model.txt"), "utf8"),
    X,
    nrow: rows.length,
    expected: {
      normal: arr(raw.expected.normal)!,
      raw: arr(raw.expected.raw)!,
      leaf: arr(raw.expected.leaf)!,
      contrib: arr(raw.expected.contrib),
    },
    iterations: {
      start: raw.iterations.start,
      num: raw.iterations.num,
      normal: arr(raw.iterations.normal)!,
      raw: arr(raw.iterations.raw)!,
      leaf: arr(raw.iterations.leaf)!,
      contrib: arr(raw.iterations.contrib),
    },
  };
}

/** Index of the first element that is not Object.is-identical, or -1. */
export function firstNotIdentical(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Largest |a-b| / max(|a|,|b|) (0 where both are identical, Infinity where only one is NaN). */
export function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]));
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}

/** Largest |a-b| / max(1, |b|): absolute below 1, relative above (Infinity for NaN mismatches). */
export function maxAbsOrRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    m = Math.max(m, Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
  }
  return m;
}
