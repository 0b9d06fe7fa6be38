/**
 * The model zoo: small models trained by LightGBM's Python package with its own predictions
 * (test/fixtures/make_zoo.py). Ground truth for every engine.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ZOO_DIR = join(import.meta.dirname, "../fixtures/zoo");

/** Expected outputs per predict type; contrib is null where LightGBM refuses it (linear trees). */
export interface Outputs {
  normal: Float64Array;
  raw: Float64Array;
  leaf: Float64Array;
  contrib: Float64Array | null;
}

export interface ZooCase {
  name: string;
  modelFile: string;
  modelText: string;
  ncol: number;
  nrow: number;
  objective: string;
  X: Float64Array;
  expected: Outputs;
  iterations: { start: number; num: number } & Outputs;
}

/** A fixture number: JSON has no NaN or Infinity, so the generator writes them as strings. */
export function decodeNum(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new Error(`bad number in fixture: ${v}`);
}

const flat = (a: (number | string)[] | null) => (a === null ? null : Float64Array.from(a, decodeNum));

function outputs(o: Record<string, (number | string)[] | null>): Outputs {
  return { normal: flat(o.normal)!, raw: flat(o.raw)!, leaf: flat(o.leaf)!, contrib: flat(o.contrib) };
}

export function zooNames(): string[] {
  return readdirSync(ZOO_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadZooCase(name: string): ZooCase {
  const dir = join(ZOO_DIR, name);
  const raw = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8"));
  const X = Float64Array.from((raw.X as (number | string)[][]).flat(), decodeNum);
  return {
    name,
    modelFile: join(dir, "model.txt"),
    modelText: readFileSync(join(dir, "model.txt"), "utf8"),
    ncol: raw.ncol,
    nrow: raw.X.length,
    objective: raw.objective,
    X,
    expected: outputs(raw.expected),
    iterations: { start: raw.iterations.start, num: raw.iterations.num, ...outputs(raw.iterations) },
  };
}

/** Index of the first element where a and b differ bit for bit (Object.is), or -1. */
export function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
