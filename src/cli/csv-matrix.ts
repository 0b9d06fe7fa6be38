/**
 * Streams a CSV of feature columns into row-major Float64Array chunks, matching columns to the model's
 * features by name (order free, extra columns ignored). Rows never become objects.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { readFeatureCell } from "../csv/cell.js";
import { CSV_OPTIONS } from "../csv/options.js";
import { ValidationError } from "../errors.js";

export interface MatrixChunk {
  data: Float64Array;
  nrow: number;
  /** Index of the chunk's first data row in the file (0-based, header excluded). */
  firstRow: number;
}

export function openCsv(path: string): Readable {
  return path === "-" ? process.stdin : createReadStream(path);
}

/**
 * One CSV cell as a feature value, read by the shared cell reader (src/csv/cell.ts): a missing cell is
 * NaN, infinities and true/false are numbers; anything else is an error naming the column and row.
 */
export function parseCell(cell: string, row: number, column: string): number {
  const v = readFeatureCell(cell);
  if (v === undefined) {
    throw new ValidationError([
      { field: column, row, message: `expected a number, got ${JSON.stringify(cell)}` },
    ]);
  }
  return v;
}

export async function* csvMatrixChunks(
  input: Readable,
  featureNames: string[],
  chunkRows = 16_384,
): AsyncGenerator<MatrixChunk> {
  const parser = input.pipe(parse({ ...CSV_OPTIONS, relax_column_count: false }));
  const ncol = featureNames.length;
  let columnOf: Int32Array | undefined;
  let data = new Float64Array(chunkRows * ncol);
  let nrow = 0;
  let row = 0;
  for await (const cells of parser as AsyncIterable<string[]>) {
    if (!columnOf) {
      columnOf = mapColumns(cells, featureNames);
      continue;
    }
    const base = nrow * ncol;
    for (let f = 0; f < ncol; f++) data[base + f] = parseCell(cells[columnOf[f]], row, featureNames[f]);
    nrow++;
    row++;
    if (nrow === chunkRows) {
      yield { data, nrow, firstRow: row - nrow };
      data = new Float64Array(chunkRows * ncol);
      nrow = 0;
    }
  }
  if (!columnOf)
    throw new ValidationError([{ field: "input", message: "the CSV is empty: expected a header row" }]);
  if (nrow > 0) yield { data: data.subarray(0, nrow * ncol), nrow, firstRow: row - nrow };
}

/** For each model feature, the CSV column that holds it; a missing column is an error naming it. */
function mapColumns(header: string[], featureNames: string[]): Int32Array {
  const index = new Map(header.map((name, i) => [name, i]));
  const missing = featureNames.filter((f) => !index.has(f));
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((field) => ({ field, message: "column is missing from the input CSV header" })),
    );
  }
  return Int32Array.from(featureNames, (f) => index.get(f)!);
}
