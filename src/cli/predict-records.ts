/**
 * `lgbm predict` on a bundle with spec.json: the CSV holds the original fields (e.g. `sales`, `salary`
 * as text), which are validated and encoded by the bundle's encoder; normal predictions come out as
 * named columns (binary: prediction,probability; multiclass: prediction,probability_<class>...;
 * regression: value). Bare model.txt files keep the matrix path of csv-matrix.ts.
 */
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import type { FieldSpec } from "../bundle/spec.js";
import { ValidationError } from "../errors.js";
import type { Model } from "../model.js";
import { isMissingCell } from "../train/table.js";
import type { MatrixChunk } from "./csv-matrix.js";

/** True when the model's fields are not simply its numeric columns (a bundle spec.json was loaded). */
export function usesRecords(model: Model): boolean {
  const { fields, columns } = model.spec;
  return (
    model.spec.training !== undefined ||
    fields.length !== columns.length ||
    fields.some((f, i) => f.name !== columns[i] || f.type !== "number" || !f.nullable)
  );
}

/**
 * A CSV cell as the value a JSON client would send for this field: missing → null, numbers parsed,
 * booleans as 0/1; a cell that does not parse stays text, so the encoder reports it by name.
 */
function cellValue(f: FieldSpec, cell: string | undefined): unknown {
  if (cell === undefined || isMissingCell(cell)) return null;
  switch (f.type) {
    case "number":
    case "integer": {
      const v = Number(cell);
      return Number.isNaN(v) ? cell : v;
    }
    case "boolean":
      if (cell === "1" || cell === "true" || cell === "True" || cell === "TRUE") return 1;
      if (cell === "0" || cell === "false" || cell === "False" || cell === "FALSE") return 0;
      return cell;
    case "category":
      return cell;
  }
}

/** Encoded chunks of a CSV of records; errors carry the CSV's data row index (0-based, header excluded). */
export async function* csvRecordChunks(
  input: Readable,
  model: Model,
  chunkRows = 16_384,
): AsyncGenerator<MatrixChunk> {
  const parser = input.pipe(parse({ skip_empty_lines: true, trim: true }));
  const fields = model.spec.fields;
  let index: (number | undefined)[] | undefined;
  let columns: unknown[][] = [];
  let nrow = 0;
  let row = 0;
  const flush = (): MatrixChunk => {
    const columnar: Record<string, unknown[]> = {};
    fields.forEach((f, i) => {
      if (index![i] !== undefined) columnar[f.name] = columns[i];
    });
    try {
      const { data } = model.encode(columnar);
      return { data, nrow, firstRow: row - nrow };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const first = row - nrow;
      throw new ValidationError(
        err.issues.map((i) => (i.row === undefined ? i : { ...i, row: i.row + first })),
      );
    }
  };
  for await (const cells of parser as AsyncIterable<string[]>) {
    if (!index) {
      const at = new Map(cells.map((name, i) => [name, i]));
      index = fields.map((f) => at.get(f.name));
      const missing = fields.filter((f, i) => index![i] === undefined && !f.nullable);
      if (missing.length) {
        throw new ValidationError(
          missing.map((f) => ({ field: f.name, message: "column is missing from the input CSV header" })),
        );
      }
      columns = fields.map(() => new Array(chunkRows));
      continue;
    }
    for (let i = 0; i < fields.length; i++) {
      const c = index[i];
      if (c !== undefined) columns[i][nrow] = cellValue(fields[i], cells[c]);
    }
    nrow++;
    row++;
    if (nrow === chunkRows) {
      yield flush();
      columns = fields.map(() => new Array(chunkRows));
      nrow = 0;
    }
  }
  if (!index)
    throw new ValidationError([{ field: "input", message: "the CSV is empty: expected a header row" }]);
  if (nrow > 0) {
    columns = columns.map((c) => c.slice(0, nrow));
    yield flush();
  }
}

/** Output header of named results. */
export function namedColumns(model: Model): string[] {
  switch (model.spec.task) {
    case "binary":
      return ["prediction", "probability"];
    case "multiclass":
      return [
        "prediction",
        ...Array.from(
          { length: model.info.numClasses },
          (_, k) => `probability_${model.spec.target?.classes?.[k] ?? k}`,
        ),
      ];
    default:
      return ["value"];
  }
}

/** CSV lines of named results (String(x): the shortest text that parses back to the same double). */
export function formatNamed(model: Model, output: Float64Array, nrow: number): string {
  const rows = model.toResults(output, nrow).map((r) => {
    if ("probability" in r) return [r.prediction, String(r.probability)];
    if ("probabilities" in r) return [r.prediction, ...r.probabilities.map(String)];
    return [String(r.value)];
  });
  return stringify(rows);
}
