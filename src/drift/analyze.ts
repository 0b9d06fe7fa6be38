/**
 * Offline drift analysis of a file (what `lgbm drift` runs): stream the prediction log or records CSV
 * into an unbounded DriftMonitor and report. Rows without a logged output (a CSV of records) are
 * predicted with the bundle's model in batches, so the prediction shift is reported for them too.
 */
import type { FieldSpec, Spec } from "../bundle/spec.js";
import { cellReader } from "../csv/cell.js";
import type { ServingEngineChoice } from "../engines/create.js";
import { ValidationError } from "../errors.js";
import { Model, readBundleSpec } from "../model.js";
import { DriftMonitor } from "./monitor.js";
import type { DriftReport, Thresholds } from "./report.js";
import { isCsvPath, type LiveRow, type ReadOptions, type ReadStats, readLive } from "./source.js";

export interface AnalyzeOptions extends ReadOptions {
  thresholds?: Partial<Thresholds>;
  /** Predict rows that have no logged output with the bundle's model (default true). */
  predict?: boolean;
  engine?: ServingEngineChoice;
}

export interface FileDriftReport extends DriftReport {
  bundle: string;
  /** The file read (several, in order, for rotated logs: they are joined with ", "). */
  log: string;
  since?: string;
  lines: ReadStats & { predicted: number; unpredictable: number };
}

const BATCH = 2048;

/** A CSV cell (text) as the record API takes it, per the field's type; other values pass through. */
export function coerceValue(f: FieldSpec, v: unknown): unknown {
  return typeof v === "string" ? cellReader(f)(v.trim()) : v;
}

/**
 * Reads CSV rows (field → cell text) as records, through the one cell reader (src/csv/cell.ts): the
 * same values `lgbm predict` and `lgbm train` read from the same cells. Values that are not text pass
 * through; only the spec's fields are kept.
 */
export function recordReader(spec: Spec): (rec: Record<string, unknown>) => Record<string, unknown> {
  const readers = spec.fields.map((f) => [f.name, cellReader(f)] as const);
  return (rec) => {
    const out: Record<string, unknown> = {};
    for (const [name, read] of readers) {
      const v = rec[name];
      out[name] = typeof v === "string" ? read(v.trim()) : v;
    }
    return out;
  };
}

export function coerceRecord(spec: Spec, rec: Record<string, unknown>): Record<string, unknown> {
  return recordReader(spec)(rec);
}

/** Loads a bundle's spec; throws when it has no spec.json. */
export function loadBundleSpec(bundle: string): Spec {
  const spec = readBundleSpec(bundle);
  if (!spec)
    throw new Error(`${bundle} has no spec.json: drift needs a bundle made by lgbm train or lgbm bundle`);
  return spec;
}

export async function analyzeFile(
  bundle: string,
  log: string | readonly string[],
  options: AnalyzeOptions = {},
): Promise<FileDriftReport> {
  const spec = loadBundleSpec(bundle);
  const monitor = new DriftMonitor(spec, { windowSize: Infinity, thresholds: options.thresholds });
  const stats: ReadStats = { read: 0, kept: 0, skipped: 0 };
  const counts = { predicted: 0, unpredictable: 0 };
  const wantPredictions = options.predict !== false && monitor.reference.prediction !== undefined;
  let model: Model | undefined;
  const pending: LiveRow[] = [];
  const files = typeof log === "string" ? [log] : log;
  const readRecord = recordReader(spec);

  const flushPending = async () => {
    if (pending.length === 0) return;
    model ??= await Model.load(bundle, { engine: options.engine ?? "auto" });
    const records = pending.map((r) => r.input);
    let outputs: unknown[];
    try {
      outputs = model.predict(records);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      // Some records do not encode (an unknown category the model rejects): predict one by one.
      outputs = records.map((rec) => {
        try {
          return model!.predict(rec);
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          return undefined;
        }
      });
    }
    for (const o of outputs) {
      if (o === undefined) counts.unpredictable++;
      else counts.predicted++;
    }
    monitor.observe(
      pending.map((r) => r.input),
      outputs,
    );
    pending.length = 0;
  };

  try {
    let done = 0;
    let current = 0;
    const onProgress =
      options.onProgress &&
      ((b: number) => {
        current = b;
        options.onProgress!(done + b);
      });
    for (const file of files) {
      // CSV cells are text: read them as the record API takes them (JSON lines are typed already).
      const read = isCsvPath(file) ? readRecord : undefined;
      for await (const row of readLive(file, { ...options, onProgress }, stats)) {
        if (read) row.input = read(row.input);
        if (row.output === undefined && wantPredictions) {
          pending.push(row);
          if (pending.length >= BATCH) await flushPending();
        } else {
          monitor.observe([row.input], [row.output]);
        }
      }
      done += current;
      current = 0;
    }
    await flushPending();
  } finally {
    model?.dispose();
  }
  return {
    ...monitor.report(),
    bundle,
    log: files.join(", "),
    ...(options.since ? { since: options.since.toISOString() } : {}),
    lines: { ...stats, ...counts },
  };
}
