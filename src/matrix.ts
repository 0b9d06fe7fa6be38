/**
 * Turns the matrix inputs the raw API accepts (a row-major Float64Array, or an array of number arrays)
 * into one row-major Float64Array, with errors that say which row and column is wrong.
 */
import { ValidationError } from "./errors.js";

export interface Matrix {
  data: Float64Array;
  nrow: number;
}

export function toMatrix(rows: Float64Array | ArrayLike<number>[], ncol: number): Matrix {
  if (rows instanceof Float64Array) {
    if (rows.length % ncol !== 0) {
      throw new ValidationError([
        {
          field: "rows",
          message: `a Float64Array of ${rows.length} values is not a whole number of rows of ${ncol}`,
        },
      ]);
    }
    return { data: rows, nrow: rows.length / ncol };
  }
  if (ArrayBuffer.isView(rows)) {
    throw new TypeError("rows must be a Float64Array (convert other typed arrays with Float64Array.from)");
  }
  if (!Array.isArray(rows)) throw new TypeError("rows must be a Float64Array or an array of number arrays");
  const nrow = rows.length;
  const data = new Float64Array(nrow * ncol);
  for (let r = 0; r < nrow; r++) {
    const row = rows[r];
    if (row == null || typeof row !== "object" || row.length !== ncol) {
      const got = row == null || typeof row !== "object" ? typeof row : `${row.length} values`;
      throw new ValidationError([{ field: "rows", row: r, message: `expected ${ncol} values, got ${got}` }]);
    }
    for (let c = 0; c < ncol; c++) {
      const v = row[c];
      // null and undefined are missing values, as an empty CSV cell is; anything else must be a number.
      if (typeof v === "number") data[r * ncol + c] = v;
      else if (v == null) data[r * ncol + c] = Number.NaN;
      else
        throw new ValidationError([
          { field: `column ${c}`, row: r, message: `expected a number, got ${JSON.stringify(v)}` },
        ]);
    }
  }
  return { data, nrow };
}
