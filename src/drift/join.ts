/**
 * The retraining join: prediction-log inputs + labels observed later → a training CSV that
 * `lgbm train --data` reads. Labels are loaded into a map (they are the small side); the log is
 * streamed. Each joined row is the logged input record's fields, then the label columns.
 *
 * The id: `--id <column>` names the labels CSV's id column. On the log side the same name is looked up
 * in the input record first (a business key the client sends, e.g. employee_id), then on the log line
 * itself (e.g. request_id); `logId` overrides the log-side name.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";
import type { Spec } from "../bundle/spec.js";
import { type ReadOptions, type ReadStats, readLive } from "./source.js";

export interface JoinOptions extends ReadOptions {
  /** The prediction log; several files (rotated logs) are read in order. */
  log: string | readonly string[];
  labels: string;
  /** The id column of the labels CSV. */
  id: string;
  /** The id's name on the log side (default: same as `id`). */
  logId?: string;
  out: string;
  /** Column order: the spec's fields (default: the first joined record's keys in order). */
  spec?: Spec;
  /** A CSV (e.g. the original training data) copied first; joined rows follow in its column order. */
  base?: string;
  /** Keep the id column in the output (default false: an id is not a feature). */
  keepId?: boolean;
}

export interface JoinResult {
  labels: number;
  log: ReadStats;
  joined: number;
  /** Log rows whose id has no label. */
  unlabeled: number;
  /** Log rows without an id. */
  noId: number;
  /** Labels whose id is in the log more than once (the last logged input wins). */
  duplicates: number;
  baseRows: number;
  columns: string[];
}

async function readLabels(
  file: string,
  id: string,
): Promise<{ columns: string[]; byId: Map<string, Record<string, string>> }> {
  const parser = createReadStream(file).pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, trim: true }),
  );
  const byId = new Map<string, Record<string, string>>();
  let columns: string[] | undefined;
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    if (!columns) {
      columns = Object.keys(row);
      if (!columns.includes(id))
        throw new Error(`${file} has no column ${JSON.stringify(id)} (columns: ${columns.join(", ")})`);
    }
    byId.set(row[id], row);
  }
  if (!columns) throw new Error(`${file} has no label rows`);
  return { columns: columns.filter((c) => c !== id), byId };
}

function headerOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const first = text.slice(0, text.search(/\r?\n|$/)).replace(/^\uFEFF/, "");
  return first.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
}

const cell = (v: unknown): string | number | boolean =>
  v === null || v === undefined
    ? ""
    : typeof v === "object"
      ? JSON.stringify(v)
      : (v as string | number | boolean);

export async function joinLabels(options: JoinOptions): Promise<JoinResult> {
  const { columns: labelColumns, byId } = await readLabels(options.labels, options.id);
  const logId = options.logId ?? options.id;
  // Memory stays bounded by the labels: one input record per labeled id.
  const joined = new Map<string, Record<string, unknown>>();
  const stats: ReadStats = { read: 0, kept: 0, skipped: 0 };
  let unlabeled = 0;
  let noId = 0;
  let duplicates = 0;
  const rows = async function* () {
    for (const file of typeof options.log === "string" ? [options.log] : options.log)
      yield* readLive(file, options, stats);
  };
  for await (const row of rows()) {
    const raw = row.input[logId] ?? row.line[logId];
    if (raw === undefined || raw === null || raw === "") {
      noId++;
      continue;
    }
    const key = String(raw);
    if (!byId.has(key)) {
      unlabeled++;
      continue;
    }
    if (joined.has(key)) duplicates++;
    joined.set(key, row.input);
  }

  let columns: string[];
  let baseRows = 0;
  const out = createWriteStream(options.out);
  if (options.base) {
    columns = headerOf(options.base);
    const text = readFileSync(options.base, "utf8");
    out.write(text.endsWith("\n") ? text : `${text}\n`);
    baseRows = Math.max(0, text.split(/\r?\n/).filter((l) => l.trim() !== "").length - 1);
  } else {
    const fields = options.spec
      ? options.spec.fields.map((f) => f.name)
      : Object.keys(joined.values().next().value ?? {});
    columns = [
      ...fields.filter((c) => options.keepId || c !== options.id),
      ...labelColumns.filter((c) => !fields.includes(c)),
    ];
    if (options.keepId && !columns.includes(options.id)) columns.unshift(options.id);
  }
  const missingLabels = labelColumns.filter((c) => !columns.includes(c));
  if (options.base && missingLabels.length) {
    out.destroy();
    throw new Error(`${options.base} has no column for the label(s) ${missingLabels.join(", ")}`);
  }

  const csv = stringify({ header: !options.base, columns, cast: { boolean: (b) => (b ? "1" : "0") } });
  csv.pipe(out);
  for (const [key, input] of joined) {
    const label = byId.get(key)!;
    const rec: Record<string, unknown> = { ...input, ...label, [options.id]: key };
    if (!csv.write(columns.map((c) => cell(rec[c])))) await once(csv, "drain");
  }
  csv.end();
  await once(out, "finish");
  return {
    labels: byId.size,
    log: stats,
    joined: joined.size,
    unlabeled,
    noId,
    duplicates,
    baseRows,
    columns,
  };
}
