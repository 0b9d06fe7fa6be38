/**
 * Streams a CSV of feature columns into row-major Float64Array chunks, matching columns to the model's
 * features by name (order free, extra columns ignored). Rows never become objects.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { ValidationError } from "../errors.js";
import { isMissingCell } from "../train/table.js";

export interface MatrixChunk {
  data: Float64Array;
  nrow: number;
  /** Index of the chunk's first data row in the file (0-based, header excluded). */
  firstRow: number;
}

export function openCsv(path: string): Readable {
  return path === "-" ? process.stdin : createReadStream(path);
}

/** Parses one CSV cell as a feature value: a missing cell is NaN; anything else must be a number. */
export function parseCell(cell: string, row: number, column: string): number {
  if (isMissingCell(cell)) return Number.NaN;
  const v = Number(cell);
  if (Number.isNaN(v) || cell.trim() === "") {
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
  const parser = input.pipe(parse({ relax_column_count: false, skip_empty_lines: true, trim: true }));
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
