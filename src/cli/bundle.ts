/**
 * `lgbm bundle`: a bundle folder from a model trained elsewhere (a notebook's model.txt) and its raw
 * training data. All the work is createBundle's (src/bundle-builder/from-model.ts).
 */
import type { Command } from "commander";
import { createBundle } from "../bundle-builder/from-model.js";
import type { ServingEngineChoice } from "../engines/create.js";

interface BundleCommandOptions {
  model: string;
  data: string;
  out: string;
  target?: string;
  eval?: string;
  unknown?: string;
  classes?: string;
  engine: ServingEngineChoice;
}

export function register(program: Command): void {
  program
    .command("bundle")
    .description(
      "Make a bundle (model.txt + spec.json) from a model trained elsewhere, e.g. in Python, and its raw training data",
    )
    .requiredOption("-m, --model <model.txt>", "the model file (LightGBM's text format)")
    .requiredOption(
      "-d, --data <file.csv>",
      "the raw training data: the columns before encoding, with a header row",
    )
    .requiredOption("-o, --out <dir>", "bundle folder to write")
    .option("-t, --target <column>", "the target column (not a feature); with it, metrics are computed")
    .option("--eval <file.csv>", "labelled held-out rows for the metrics (default: --data)")
    .option(
      "--unknown <mode>",
      "unknown categories at prediction: error (refuse the record) | ignore (one-hot: all zeros; pandas: missing); default: error for one-hot groups, missing for pandas categoricals",
    )
    .option(
      "--classes <labels>",
      "comma-separated class labels in the model's class order (LGBMClassifier.classes_)",
    )
    .option("-e, --engine <engine>", "auto | native | wasm | js (for the reference predictions)", "auto")
    .action(async (opts: BundleCommandOptions) => {
      if (opts.unknown !== undefined && opts.unknown !== "error" && opts.unknown !== "ignore")
        throw new RangeError(`--unknown must be error or ignore, got ${JSON.stringify(opts.unknown)}`);
      const { spec, notes } = await createBundle({
        model: opts.model,
        data: opts.data,
        out: opts.out,
        target: opts.target,
        evalData: opts.eval,
        unknown: opts.unknown,
        classes: opts.classes === undefined ? undefined : parseClasses(opts.classes),
        engine: opts.engine,
      });
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      const counts = { number: 0, category: 0, onehot: 0 };
      for (const f of spec.fields) {
        if (f.type !== "category") counts.number++;
        else if (f.encoding.kind === "onehot") counts.onehot++;
        else counts.category++;
      }
      const evaluation = spec.origin?.evaluation;
      // Without --eval the metrics are the training data's: say so, and how to get held-out ones.
      const on = evaluation
        ? opts.eval === undefined
          ? `metrics on the training data (${evaluation.rows} rows of ${evaluation.file}; --eval <csv> gives held-out metrics)`
          : `metrics on ${evaluation.rows} rows of ${evaluation.file}`
        : "";
      const metrics = evaluation
        ? `; ${on}: ${Object.entries(evaluation.metrics)
            .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
            .join(" ")}`
        : "";
      process.stderr.write(
        `wrote ${opts.out}: ${spec.fields.length} fields (${counts.number} numeric, ${counts.onehot} one-hot, ${counts.category} pandas categorical) for ${spec.columns.length} model features${metrics}\n`,
      );
    });
}

/** `a,b,c` → labels; all numbers → numbers (LGBMClassifier trained on integer labels). */
function parseClasses(value: string): (string | number)[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => s === ""))
    throw new RangeError(`--classes has an empty label: ${JSON.stringify(value)}`);
  const numbers = items.map(Number);
  return numbers.every((n, i) => Number.isFinite(n) && String(n) === items[i]) ? numbers : items;
}
