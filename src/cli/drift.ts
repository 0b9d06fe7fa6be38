/**
 * `lgbm drift`: input and prediction drift of a prediction log (or records CSV) against a bundle's
 * reference statistics, as a table, JSON or a self-contained HTML report; and `lgbm drift join`, the
 * log + observed labels → training CSV step of the retraining loop. Logic lives in src/drift/.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { analyzeFile, loadBundleSpec } from "../drift/analyze.js";
import { renderHtml } from "../drift/html.js";
import { joinLabels } from "../drift/join.js";
import type { Flag, QuantityReport } from "../drift/report.js";
import { expandLogPaths, fileSize } from "../drift/source.js";
import type { ServingEngineChoice } from "../engines/create.js";
import { progressBar } from "./progress.js";

interface DriftFlags {
  bundle: string;
  log: string[];
  since?: string;
  html?: string;
  json?: boolean;
  model?: string;
  warn?: string;
  drift?: string;
  minCount?: string;
  predict: boolean;
  engine: ServingEngineChoice;
  failOn?: string;
}

interface JoinFlags {
  log: string[];
  labels: string;
  id: string;
  logId?: string;
  out: string;
  bundle?: string;
  base?: string;
  keepId?: boolean;
  since?: string;
  model?: string;
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new RangeError(`--${name} must be a number >= 0, got ${JSON.stringify(value)}`);
  return n;
}

function date(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new RangeError(
      `--since must be an ISO time like 2026-01-31T00:00:00Z, got ${JSON.stringify(value)}`,
    );
  return d;
}

export function register(program: Command): void {
  const drift = program
    .command("drift")
    .description("Drift of a prediction log (or records CSV) against the bundle's training statistics")
    .option("-b, --bundle <dir>", "bundle folder (model.txt + spec.json with reference statistics)")
    .option(
      "-l, --log <file>",
      "prediction log (JSON lines) or records CSV (.csv); a folder of logs, or a quoted pattern such as 'predictions*.jsonl*' (every worker's and rotated file); repeatable",
      collect,
      [],
    )
    .option("--since <time>", "only rows logged at or after this ISO time")
    .option("--html <file>", "also write a self-contained HTML report")
    .option("--json", "print the report as JSON")
    .option("--model <name>", "only log lines of this model")
    .option("--warn <psi>", "PSI at or above which a field is flagged warn", "0.1")
    .option("--drift <psi>", "PSI at or above which a field is flagged drift", "0.25")
    .option("--min-count <n>", "fewer live values than this never flag", "100")
    .option("--no-predict", "do not predict rows that have no logged output")
    .option("-e, --engine <engine>", "auto | native | wasm | js (for rows without a logged output)", "auto")
    .option("--fail-on <flag>", "exit with code 3 when any field is flagged at least this (warn | drift)")
    .action(async (opts: DriftFlags) => {
      if (!opts.bundle || opts.log.length === 0)
        throw new RangeError("lgbm drift needs --bundle <dir> and --log <file>");
      if (opts.failOn !== undefined && opts.failOn !== "warn" && opts.failOn !== "drift") {
        throw new RangeError(`--fail-on must be warn or drift, got ${JSON.stringify(opts.failOn)}`);
      }
      opts.log = expandLogPaths(opts.log);
      const size = opts.log.reduce((s, f) => s + (fileSize(f) ?? 0), 0);
      const bar = size ? progressBar(size, "drift [{bar}] {percentage}% | {value}/{total} bytes") : undefined;
      const report = await analyzeFile(opts.bundle, opts.log, {
        since: date(opts.since),
        model: opts.model,
        predict: opts.predict,
        engine: opts.engine,
        thresholds: {
          warn: num(opts.warn, "warn"),
          drift: num(opts.drift, "drift"),
          minCount: num(opts.minCount, "min-count"),
        },
        onProgress: bar ? (b) => bar.update(b) : undefined,
      }).finally(() => bar?.stop());
      if (opts.html) {
        writeFileSync(
          opts.html,
          renderHtml(report, {
            title: `Drift report: ${opts.bundle}`,
            context: {
              bundle: opts.bundle,
              log: opts.log.join(", "),
              since: report.since,
              reference: report.reference.source,
            },
          }),
        );
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(table(report.fields, report.prediction, report.rows));
      if (opts.failOn) {
        const bad: Flag[] = opts.failOn === "warn" ? ["warn", "drift"] : ["drift"];
        if (report.fields.some((f) => bad.includes(f.flag))) process.exitCode = 3;
      }
    });

  drift
    .command("join")
    .description("Join a prediction log with observed labels into a training CSV for lgbm train --data")
    .option(
      "-l, --log <file>",
      "prediction log (JSON lines) or records CSV, a folder of logs, or a quoted pattern (required; repeatable)",
      collect,
      [],
    )
    .requiredOption("--labels <file.csv>", "labels CSV: an id column and the label column(s)")
    .requiredOption(
      "--id <column>",
      "the id column of the labels CSV (looked up in each logged input, then on the log line)",
    )
    .requiredOption("-o, --out <file.csv>", "training CSV to write")
    .option("--log-id <name>", "the id's name on the log side, when it differs (e.g. request_id)")
    .option("-b, --bundle <dir>", "order the columns as the bundle's spec fields")
    .option(
      "--base <file.csv>",
      "copy this CSV (the original training data) first; joined rows follow in its column order",
    )
    .option("--keep-id", "keep the id column in the output")
    .option("--since <time>", "only rows logged at or after this ISO time")
    .option("--model <name>", "only log lines of this model")
    .action(async (own: JoinFlags) => {
      // Options `drift` itself also has (--log, --bundle, --since, --model) are parsed by `drift` even
      // after the subcommand name: take them from there.
      const parent = drift.opts() as Partial<JoinFlags>;
      const opts: JoinFlags = { ...parent, ...stripUndefined(own), log: [...(parent.log ?? []), ...own.log] };
      if (opts.log.length === 0) throw new RangeError("lgbm drift join needs --log <file>");
      const result = await joinLabels({
        log: expandLogPaths(opts.log),
        labels: opts.labels,
        id: opts.id,
        logId: opts.logId,
        out: opts.out,
        spec: opts.bundle ? loadBundleSpec(opts.bundle) : undefined,
        base: opts.base,
        keepId: opts.keepId,
        since: date(opts.since),
        model: opts.model,
      });
      process.stderr.write(
        `lgbm drift join: ${result.joined} labeled rows written to ${opts.out}` +
          (opts.base ? ` after ${result.baseRows} rows of ${opts.base}` : "") +
          ` (${result.log.kept} log rows read, ${result.unlabeled} without a label, ${result.noId} without an id, ${result.log.skipped} malformed)\n`,
      );
    });
}

const collect = (v: string, prev: string[]) => [...prev, v];

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function table(fields: QuantityReport[], prediction: QuantityReport | undefined, rows: number): string {
  const w = Math.max(10, ...fields.map((f) => f.name.length));
  const line = (q: QuantityReport) =>
    `${q.name.padEnd(w)}  ${q.flag.padEnd(5)}  ${q.psi.toFixed(4).padStart(8)}  ${(q.ks === undefined ? "–" : q.ks.toFixed(4)).padStart(7)}  ${(q.unknownShare * 100).toFixed(1).padStart(6)}%  ${(q.missingShare * 100).toFixed(1).padStart(6)}%`;
  const out = [
    `${rows} rows`,
    `${"field".padEnd(w)}  flag   ${"PSI".padStart(8)}  ${"KS".padStart(7)}  unknown  missing`,
    ...fields.map(line),
  ];
  if (prediction) out.push("", `prediction (${prediction.name})`, line(prediction));
  return `${out.join("\n")}\n`;
}
