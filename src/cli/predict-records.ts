/**
 * `lgbm predict` on records: the CSV holds the original fields (e.g. `sales`, `salary` as text), which
 * are validated and encoded by the model's encoder; for a bundle, normal predictions come out as named
 * columns (binary: prediction,probability; multiclass: prediction,probability_<class>...; regression:
 * value). Bare model.txt files with only numeric features keep the matrix path of csv-matrix.ts.
 */
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import type { PredictionResult } from "../bundle/output.js";
import { cellReader } from "../csv/cell.js";
import { CSV_OPTIONS } from "../csv/options.js";
import { ValidationError } from "../errors.js";
import type { Model } from "../model.js";
import type { MatrixChunk } from "./csv-matrix.js";

/**
 * True when the CSV holds records rather than the model's columns: a bundle made by `lgbm train` or
 * `lgbm bundle`, or any spec whose fields are not simply its numeric columns (a bare model's pandas
 * categoricals, whose cells are the category strings).
 */
export function usesRecords(model: Model): boolean {
  const { fields, columns } = model.spec;
  return (
    model.spec.training !== undefined ||
    model.spec.origin !== undefined ||
    fields.length !== columns.length ||
    fields.some((f, i) => f.name !== columns[i] || f.type !== "number" || !f.nullable)
  );
}

/** Encoded chunks of a CSV of records; errors carry the CSV's data row index (0-based, header excluded). */
export async function* csvRecordChunks(
  input: Readable,
  model: Model,
  chunkRows = 16_384,
): AsyncGenerator<MatrixChunk> {
  const parser = input.pipe(parse(CSV_OPTIONS));
  const fields = model.spec.fields;
  // Each field's cells through the one cell reader (src/csv/cell.ts): missing → null, numbers parsed.
  const readers = fields.map(cellReader);
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
      const strict = model.spec.absentFields === "error";
      const missing = fields.filter((f, i) => index![i] === undefined && (strict || !f.nullable));
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
      if (c !== undefined) columns[i][nrow] = readers[i](cells[c]);
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
export function formatNamed(results: readonly PredictionResult[]): string {
  const rows = results.map((r) => {
    if ("probability" in r) return [r.prediction, String(r.probability)];
    if ("probabilities" in r) return [r.prediction, ...r.probabilities.map(String)];
    return [String(r.value)];
  });
  return stringify(rows);
}
