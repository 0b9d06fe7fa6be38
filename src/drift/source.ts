/**
 * Live data for drift and retraining, read as a stream (constant memory, any file size):
 *
 * - a prediction log (JSON lines, as the server writes it): `{ "time", "request_id", "model",
 *   "version", "row", "input": { ...record }, "output": { ...result }, ... }`; only `input` is
 *   required;
 * - or a CSV of records (header row; one column per field; an optional `time` column). Its cells are
 *   yielded as text; `analyzeFile` reads them with the one cell reader (src/csv/cell.ts).
 *
 * The format is picked from the extension (.csv / .tsv → CSV, anything else → JSON lines).
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { CSV_OPTIONS } from "../csv/options.js";

export interface LiveRow {
  /** The input record (field name → value). */
  input: Record<string, unknown>;
  /** The model's result, when the log has it. */
  output?: unknown;
  /** ISO time of the prediction, when known. */
  time?: string;
  /** The whole log line (JSON lines) or the CSV row. */
  line: Record<string, unknown>;
}

export interface ReadOptions {
  /** Skip rows before this time (rows without a time are kept). */
  since?: Date;
  /** Only log lines of this model (lines without a model are kept). */
  model?: string;
  /** Called with the bytes read so far (for a progress bar). */
  onProgress?: (bytes: number) => void;
  /** Malformed JSON lines: "skip" (count them in `stats.skipped`, default) or "error". */
  onBadLine?: "skip" | "error";
}

export interface ReadStats {
  read: number;
  kept: number;
  skipped: number;
}

export function isCsvPath(path: string): boolean {
  return /\.(csv|tsv)$/i.test(path);
}

export function fileSize(path: string): number | undefined {
  try {
    return path === "-" ? undefined : statSync(path).size;
  } catch {
    return undefined;
  }
}

function open(path: string, onProgress?: (bytes: number) => void): Readable {
  const stream: Readable = path === "-" ? process.stdin : createReadStream(path);
  if (onProgress) {
    let bytes = 0;
    stream.on("data", (chunk: Buffer | string) => {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      onProgress(bytes);
    });
  }
  return stream;
}

/** Streams the rows of a prediction log or a records CSV. */
export async function* readLive(
  path: string,
  options: ReadOptions = {},
  stats?: ReadStats,
): AsyncGenerator<LiveRow> {
  const st = stats ?? { read: 0, kept: 0, skipped: 0 };
  const since = options.since?.getTime();
  const keep = (time: unknown, model: unknown): boolean => {
    if (options.model !== undefined && typeof model === "string" && model !== options.model) return false;
    if (since !== undefined && typeof time === "string") {
      const t = Date.parse(time);
      if (Number.isFinite(t) && t < since) return false;
    }
    return true;
  };

  if (isCsvPath(path)) {
    const parser = open(path, options.onProgress).pipe(
      parse({
        ...CSV_OPTIONS,
        columns: true,
        delimiter: /\.tsv$/i.test(path) ? "\t" : ",",
        relax_column_count: true,
      }),
    );
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      st.read++;
      if (!keep(row.time, row.model)) continue;
      st.kept++;
      yield { input: row, time: row.time, line: row };
    }
    return;
  }

  const rl = createInterface({ input: open(path, options.onProgress), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const text of rl) {
    lineNo++;
    if (text.trim() === "") continue;
    st.read++;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch (err) {
      if (options.onBadLine === "error")
        throw new SyntaxError(`${path}:${lineNo}: ${(err as Error).message}`);
      st.skipped++;
      continue;
    }
    if (line === null || typeof line !== "object" || Array.isArray(line)) {
      st.skipped++;
      continue;
    }
    const l = line as Record<string, unknown>;
    const input = l.input;
    if (input === null || typeof input !== "object" || Array.isArray(input)) {
      if (options.onBadLine === "error")
        throw new SyntaxError(`${path}:${lineNo}: the line has no "input" object`);
      st.skipped++;
      continue;
    }
    if (!keep(l.time, l.model)) continue;
    st.kept++;
    yield {
      input: input as Record<string, unknown>,
      output: l.output,
      time: typeof l.time === "string" ? l.time : undefined,
      line: l,
    };
  }
}
