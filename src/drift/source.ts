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
import { createReadStream, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
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

/** A rotated log's age: file.jsonl → 0, file.jsonl.3 → 3 (older). */
function rotation(name: string): { base: string; n: number } {
  const m = /^(.*\.jsonl)\.(\d+)$/.exec(name);
  return m ? { base: m[1], n: Number(m[2]) } : { base: name, n: 0 };
}

/** Files in order: by name, and each log's rotated files oldest first (file.2, file.1, file). */
function oldestFirst(files: string[]): string[] {
  return files.sort((a, b) => {
    const ra = rotation(basename(a));
    const rb = rotation(basename(b));
    return ra.base < rb.base ? -1 : ra.base > rb.base ? 1 : rb.n - ra.n;
  });
}

/**
 * The files `--log` names: a file as it is; a folder: every prediction log in it (`*.jsonl` and the
 * rotated `*.jsonl.N`); a name with `*` or `?` in its last part: the files of that folder it matches
 * (quoted, so it works whatever the shell): `predictions*.jsonl*` is what `lgbm serve --prediction-log
 * predictions.jsonl` writes, with --workers (predictions.worker-1.jsonl, ...) and rotated files. Each
 * log's rotated files come oldest first. A folder or pattern that matches nothing is an error.
 * Written here rather than with a glob library: one folder's names against `*` and `?`.
 */
export function expandLogPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (path === "-") {
      out.push(path);
      continue;
    }
    let dir: string;
    let match: (name: string) => boolean;
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // not there (yet): a pattern, or a file the reader reports missing
    }
    if (isDir) {
      dir = path;
      match = (name) => /\.jsonl(\.\d+)?$/.test(name);
    } else if (/[*?]/.test(basename(path))) {
      dir = dirname(path);
      const re = new RegExp(
        `^${basename(path)
          .split("")
          .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
          .join("")}$`,
      );
      match = (name) => re.test(name);
    } else {
      out.push(path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && match(e.name))
        .map((e) => e.name);
    } catch (err) {
      throw new Error(`--log ${path}: ${(err as Error).message}`);
    }
    if (names.length === 0)
      throw new Error(
        `--log ${path}: no ${isDir ? "prediction log (*.jsonl) in that folder" : "file matches"}`,
      );
    out.push(...oldestFirst(names.map((n) => join(dir, n))));
  }
  return out;
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
