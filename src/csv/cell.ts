/**
 * The one place where a CSV cell's text becomes a value: `lgbm predict` (bare models and bundles),
 * `lgbm train`, `lgbm drift` and `lgbm bundle` all read cells through here, so a cell means the same
 * thing everywhere. Cells arrive trimmed (csv-parse with `trim: true`, see options.ts).
 *
 * - Missing: pandas' default `na_values` (what `pd.read_csv` reads as NaN): the empty cell, `NaN`,
 *   `nan`, `NA`, `N/A`, `n/a`, `null`, `NULL`, `None`, `<NA>`, `#N/A` and the rest of that list.
 * - Numbers: decimal text (`12`, `-0.5`, `1e-3`, `.5`), and the infinities in any case (`inf`, `+inf`,
 *   `-inf`, `Infinity`, `-Infinity`: how pandas writes them, and what LightGBM accepts). Never hex,
 *   binary or other text JavaScript's Number() would take.
 * - Booleans: `true` / `false` in any case, and numbers equal to 1 / 0. In a numeric field a boolean cell
 *   is 1 / 0 (pandas' bool columns reach LightGBM as 1.0 / 0.0).
 * - Categories: the cell's text; a number-valued category (a pandas category of integers, a one-hot
 *   column `rooms_3`) also matches when the cell writes the same number another way (`3.0`).
 *
 * No `node:` imports: the browser entry may read CSV text too.
 */
import type { FieldSpec } from "../bundle/spec.js";

/** pandas' default na_values (pandas._libs.parsers.STR_NA_VALUES), case-sensitive as pandas is. */
const MISSING = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;
const TRUE = /^true$/i;
const FALSE = /^false$/i;

/** Whether a (trimmed) cell is a missing value. */
export function isMissingCell(cell: string): boolean {
  return MISSING.has(cell);
}

/** A cell as a number (±Infinity included; true/false as 1/0); undefined when it is not one. */
export function readNumber(cell: string): number | undefined {
  if (DECIMAL.test(cell)) return Number(cell);
  const inf = INFINITY.exec(cell);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (TRUE.test(cell)) return 1;
  if (FALSE.test(cell)) return 0;
  return undefined;
}

/** A cell as a boolean (true/false in any case, or a number equal to 1 or 0); undefined otherwise. */
export function readBoolean(cell: string): boolean | undefined {
  if (TRUE.test(cell)) return true;
  if (FALSE.test(cell)) return false;
  if (DECIMAL.test(cell)) {
    const v = Number(cell);
    if (v === 1) return true;
    if (v === 0) return false;
  }
  return undefined;
}

/** Reads one cell of a field: the value a JSON client would send for it (null when missing). */
export type CellReader = (cell: string | null | undefined) => unknown;

/**
 * The reader of a field's cells. A cell that does not read as the field's type stays text, so the
 * encoder reports it by field and row (`expected a number, got "two"`).
 */
export function cellReader(field: FieldSpec): CellReader {
  switch (field.type) {
    case "number":
    case "integer":
      return (cell) => {
        if (cell == null || MISSING.has(cell)) return null;
        return readNumber(cell) ?? cell;
      };
    case "boolean":
      return (cell) => {
        if (cell == null || MISSING.has(cell)) return null;
        return readBoolean(cell) ?? cell;
      };
    case "category": {
      const known = new Set(field.values);
      const numeric = field.values.some(isNumberText);
      return (cell) => {
        if (cell == null || MISSING.has(cell)) return null;
        if (known.has(cell) || !numeric) return cell;
        const n = readNumber(cell);
        return n !== undefined && Number.isFinite(n) && known.has(String(n)) ? String(n) : cell;
      };
    }
  }
}

/** Reads a number cell for a bare model's feature matrix: NaN when missing; undefined when not a number. */
export function readFeatureCell(cell: string | undefined): number | undefined {
  if (cell === undefined || MISSING.has(cell)) return Number.NaN;
  return readNumber(cell);
}

/** Whether a category value is a number's canonical text ("3", "-0.5"): such values also match numbers. */
export function isNumberText(value: string): boolean {
  if (!DECIMAL.test(value)) return false;
  return String(Number(value)) === value;
}
