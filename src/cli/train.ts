/**
 * `lgbm train`: a CSV file → a bundle folder (model.txt + spec.json). A progress bar with iteration,
 * metric and ETA on a TTY; one summary line otherwise (CI logs).
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { saveBundle } from "../bundle-builder/save.js";
import { parseParamArgs } from "../train/params.js";
import { type TrainProgress, train } from "../train/train.js";

interface TrainCommandOptions {
  data: string;
  target: string;
  categorical?: string;
  encoding: string;
  unknown: string;
  ignore?: string;
  param: string[];
  validFraction: string;
  earlyStopping?: string;
  weight?: string;
  seed: string;
  out: string;
}

const list = (s: string | undefined) =>
  s
    ? s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)
    : [];

export function register(program: Command): void {
  program
    .command("train")
    .description("Train a model on a CSV file and write a bundle (model.txt + spec.json)")
    .requiredOption(
      "-d, --data <file.csv>",
      "training data with a header row; empty, NaN, NA, null, None... are missing values",
    )
    .requiredOption("-t, --target <column>", "the column to predict")
    .option(
      "--categorical <columns>",
      "comma-separated columns to treat as categories (text columns always are)",
    )
    .option("--encoding <kind>", "onehot | native (LightGBM categorical)", "onehot")
    .option(
      "--unknown <mode>",
      "unknown categories at prediction: error | ignore (onehot) | missing (native)",
      "error",
    )
    .option("--ignore <columns>", "comma-separated columns that are not features")
    .option(
      "-p, --param <key=value>",
      "LightGBM parameter (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option("--valid-fraction <x>", "share of rows held out for metrics and early stopping", "0.2")
    .option("--early-stopping <n>", "stop when the first validation metric has not improved for n iterations")
    .option("--weight <column>", "column of row weights")
    .option("--seed <n>", "seed of the split and of LightGBM", "0")
    .requiredOption("-o, --out <dir>", "bundle folder to write")
    .action(async (opts: TrainCommandOptions) => {
      await trainCommand(opts);
    });
}

function num(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new RangeError(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

export async function trainCommand(opts: TrainCommandOptions): Promise<void> {
  const params = parseParamArgs(opts.param);
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: "training [{bar}] {value}/{total} iterations | {metric} | ETA {eta_formatted}",
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let last: TrainProgress | undefined;
  const started = performance.now();
  try {
    const model = await train(opts.data, {
      target: opts.target,
      categorical: list(opts.categorical),
      encoding: opts.encoding as "onehot" | "native",
      unknownCategories: opts.unknown as "error" | "ignore" | "missing",
      ignore: list(opts.ignore),
      weight: opts.weight,
      params,
      validFraction: num(opts.validFraction, "valid-fraction"),
      earlyStopping: opts.earlyStopping === undefined ? undefined : num(opts.earlyStopping, "early-stopping"),
      seed: num(opts.seed, "seed"),
      onIteration: (p) => {
        if (bar && !last) bar.start(p.total, 0, { metric: "" });
        last = p;
        bar?.update(p.iteration, { metric: p.metric ? `${p.metric.name} ${p.metric.value.toFixed(5)}` : "" });
      },
    });
    bar?.stop();
    try {
      saveBundle(model, opts.out);
      const t = model.spec.training!;
      const metrics = Object.entries(t.metrics)
        .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
        .join(" ");
      const stopped = t.earlyStopping
        ? ` (early stopping: best iteration ${t.earlyStopping.bestIteration})`
        : "";
      process.stderr.write(
        `trained ${t.iterations} iterations${stopped} on ${t.data.trainRows} rows in ${((performance.now() - started) / 1000).toFixed(1)}s` +
          `${metrics ? `; held-out (${t.data.validRows} rows): ${metrics}` : ""}; wrote ${opts.out}\n`,
      );
    } finally {
      model.dispose();
    }
  } finally {
    bar?.stop();
  }
}
