/**
 * Seeded, deterministic mutations of LightGBM model files, for the mutation test
 * (test/model-mutations.test.ts): bit flips, same-length character changes in every kind of field,
 * truncations, extra and missing values, other numbers and dropped or doubled lines (tree_sizes
 * recomputed for the edits that change a length, so the edit itself is what gets judged).
 */
import { mulberry32 } from "../../src/train/prng.js";
import { withTreeSizes } from "./tree-sizes.js";

export type MutationKind = "bitflip" | "char" | "truncate" | "extra" | "missing" | "number" | "line";

export interface Mutation {
  /** e.g. "hr/char/threshold/17" */
  name: string;
  kind: MutationKind;
  /** The field (header key, tree key, or section) the edit landed in. */
  field: string;
  bytes: Buffer;
}

/** Weights of each kind in a campaign. */
const KINDS: [MutationKind, number][] = [
  ["bitflip", 3],
  ["char", 6],
  ["truncate", 1],
  ["extra", 2],
  ["missing", 2],
  ["number", 3],
  ["line", 1],
];

const CHARS = "0123456789-+.eE :=>x\tn";
const NUMBERS = [
  "-1",
  "0",
  "-0",
  "1",
  "2",
  "9",
  "31",
  "1000000000",
  "2147483647",
  "2147483648",
  "-2147483649",
  "4294967296",
  "1e9",
  "1e308",
  "1e400",
  "5e-324",
  "nan",
  "inf",
  "-inf",
  "0.5",
  "-3.5",
  "99999999999999999999",
  "",
];

interface Line {
  start: number;
  text: string;
  /** Where the value starts (after "key="), or 0 for lines without one. */
  valueAt: number;
  field: string;
}

/** The lines of a model text, each with the kind of field it holds. */
function classify(text: string): Line[] {
  const out: Line[] = [];
  let section = "header";
  let start = 0;
  for (const raw of text.split("\n")) {
    const text = raw;
    const eq = text.indexOf("=");
    let field: string;
    if (text.startsWith("Tree=")) {
      section = "tree";
      field = "Tree=";
    } else if (text.startsWith("end of trees")) {
      section = "after";
      field = "end of trees";
    } else if (text === "parameters:") {
      section = "parameters";
      field = "parameters:";
    } else if (section === "parameters") {
      // one kind for the whole section: its lines are all alike ("[key: value]")
      field = text.startsWith("[linear_tree:") ? "[linear_tree]" : "parameters";
      if (text === "end of parameters") section = "after";
    } else if (text.startsWith("pandas_categorical")) {
      field = "pandas_categorical";
    } else if (eq > 0) {
      field = section === "after" ? "feature importance" : text.slice(0, eq);
    } else {
      field = text === "" ? "blank" : text;
    }
    out.push({ start, text, valueAt: eq > 0 ? eq + 1 : 0, field });
    start += raw.length + 1;
  }
  return out;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

/**
 * `count` mutations of `base` (named `baseName`), the same for the same seed on every machine. Same-length
 * character changes cycle through every kind of field the base has, so each kind gets its share.
 */
export function mutations(baseName: string, base: string, count: number, seed: number): Mutation[] {
  const rand = mulberry32(seed);
  const lines = classify(base);
  const fields = [...new Set(lines.filter((l) => l.text !== "").map((l) => l.field))].sort();
  const arrayLines = lines.filter((l) => l.valueAt > 0 && l.text.slice(l.valueAt).trim() !== "");
  const numberLines = arrayLines.filter((l) => /\d/.test(l.text.slice(l.valueAt)));
  const total = KINDS.reduce((s, [, w]) => s + w, 0);
  const out: Mutation[] = [];
  let charTurn = 0;
  for (let i = 0; i < count; i++) {
    let r = rand() * total;
    let kind: MutationKind = "char";
    for (const [k, w] of KINDS) {
      if (r < w) {
        kind = k;
        break;
      }
      r -= w;
    }
    const m = mutate(kind);
    out.push({ name: `${baseName}/${kind}/${m.field}/${i}`, kind, field: m.field, bytes: m.bytes });
  }
  return out;

  function mutate(kind: MutationKind): { field: string; bytes: Buffer } {
    switch (kind) {
      case "bitflip": {
        const bytes = Buffer.from(base, "utf8");
        const at = Math.floor(rand() * bytes.length);
        bytes[at] ^= 1 << Math.floor(rand() * 8);
        return { field: fieldAt(bytes.subarray(0, at).toString("utf8").length), bytes };
      }
      case "char": {
        const field = fields[charTurn++ % fields.length];
        const line = pick(
          rand,
          lines.filter((l) => l.field === field),
        );
        const from = rand() < 0.85 && line.valueAt > 0 ? line.valueAt : 0;
        if (line.text.length === 0 || from >= line.text.length) return { field, bytes: Buffer.from(base) };
        const at = line.start + from + Math.floor(rand() * (line.text.length - from));
        let c = pick(rand, [...CHARS]);
        if (c === base[at]) c = c === "0" ? "1" : "0";
        return { field, bytes: Buffer.from(base.slice(0, at) + c + base.slice(at + 1)) };
      }
      case "truncate": {
        const at = Math.floor(rand() * base.length);
        return { field: fieldAt(at), bytes: Buffer.from(base.slice(0, at)) };
      }
      case "extra":
      case "missing":
      case "number": {
        const line = pick(rand, kind === "number" ? numberLines : arrayLines);
        const head = line.text.slice(0, line.valueAt);
        const values = line.text.slice(line.valueAt).split(" ");
        const j = Math.floor(rand() * values.length);
        if (kind === "extra") values.splice(j, 0, rand() < 0.5 ? values[j] : pick(rand, NUMBERS));
        else if (kind === "missing") values.splice(j, 1);
        else {
          const nums = values.map((v, k) => (/\d/.test(v) ? k : -1)).filter((k) => k >= 0);
          values[nums.length > 0 ? pick(rand, nums) : j] = pick(rand, NUMBERS);
        }
        const edited = replaceLine(line, head + values.join(" "));
        return {
          field: line.field,
          bytes: Buffer.from(line.field === "tree_sizes" ? edited : withTreeSizes(edited)),
        };
      }
      case "line": {
        const line = pick(
          rand,
          lines.filter((l) => l.text !== ""),
        );
        const edited = replaceLine(line, rand() < 0.5 ? null : `${line.text}\n${line.text}`);
        return { field: line.field, bytes: Buffer.from(rand() < 0.5 ? withTreeSizes(edited) : edited) };
      }
    }
  }

  function replaceLine(line: Line, text: string | null): string {
    const end = line.start + line.text.length + 1;
    return base.slice(0, line.start) + (text === null ? "" : `${text}\n`) + base.slice(end);
  }

  function fieldAt(offset: number): string {
    let found = lines[0];
    for (const l of lines) {
      if (l.start > offset) break;
      found = l;
    }
    return found.field;
  }
}
