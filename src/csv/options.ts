/**
 * csv-parse options every CSV reader shares (`lgbm predict`, `lgbm train`, `lgbm drift`, `lgbm bundle`):
 * a byte-order mark is skipped (Excel writes one), blank lines are skipped, and cells are trimmed, so
 * the cell reader (cell.ts) sees ` NA ` as `NA`.
 */
export const CSV_OPTIONS = { bom: true, skip_empty_lines: true, trim: true } as const;
