/**
 * `lgbm predict`: CSV in, CSV out. A contract other tools script against: a header row, one output row
 * per input row in order, numbers printed so they parse back to the same double.
 */

import { once } from "node:events";
import { createWriteStream, statSync } from "node:fs";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { EngineChoice } from "../engines/create.js";
import type { PredictOptions, PredictType } from "../engines/engine.js";
import { Model } from "../model.js";
import { csvMatrixChunks, openCsv } from "./csv-matrix.js";
import { intOption } from "./options.js";
import { outputColumns } from "./output-columns.js";
import { csvRecordChunks, formatNamed, namedColumns, usesRecords } from "./predict-records.js";
import { progressBar } from "./progress.js";

export interface PredictCommandOptions {
  model: string;
  input: string;
  output?: string;
  type: PredictType;
  engine: EngineChoice;
  startIteration?: string;
  numIterations?: string;
  threads?: string;
}

export function register(program: Command): void {
  program
    .command("predict")
    .description("Predict a CSV file (header row; columns matched to the model's features by name)")
    .requiredOption("-m, --model <path>", "model.txt or bundle folder")
    .requiredOption(
      "-i, --input <file.csv>",
      "input CSV ('-' for stdin); empty, NaN, NA, null, None... are missing values, inf/-inf infinities",
    )
    .option("-o, --output <file.csv>", "output CSV (default: stdout)")
    .option("-t, --type <type>", "normal | raw | leaf | contrib", "normal")
    .option("-e, --engine <engine>", "auto | native | wasm | js | onnx", "auto")
    .option("--start-iteration <n>", "first iteration to use")
    .option("--num-iterations <n>", "iterations to use (default: all)")
    .option("--threads <n>", "threads for the native and wasm engines")
    .action(async (opts: PredictCommandOptions) => {
      await predictCommand(opts);
    });
}

export async function predictCommand(opts: PredictCommandOptions): Promise<void> {
  if (!["normal", "raw", "leaf", "contrib"].includes(opts.type)) {
    throw new RangeError(
      `--type must be one of normal, raw, leaf, contrib, got ${JSON.stringify(opts.type)}`,
    );
  }
  const model = await Model.load(opts.model, {
    engine: opts.engine,
    numThreads: intOption(opts.threads, "threads"),
  });
  const options: PredictOptions = {
    type: opts.type,
    startIteration: intOption(opts.startIteration, "start-iteration"),
    numIterations: intOption(opts.numIterations, "num-iterations"),
  };
  const out: Writable = opts.output ? createWriteStream(opts.output) : process.stdout;
  const total = opts.input === "-" ? 0 : statSync(opts.input).size;
  const bar = progressBar(total, "predicting [{bar}] {percentage}% | {rows} rows | ETA {eta}s");
  try {
    // Bundles with spec.json (and bare models with pandas categoricals) take the original fields,
    // encoded by the model; a bundle's normal outputs are named.
    const records = usesRecords(model);
    const named = records && options.type === "normal" && model.specSource === "bundle";
    await write(out, `${(named ? namedColumns(model) : outputColumns(model.info, options)).join(",")}\n`);
    const width = model.outputWidth(options);
    const { type: _normal, ...iterations } = options;
    const input = openCsv(opts.input);
    const chunks = records ? csvRecordChunks(input, model) : csvMatrixChunks(input, model.info.featureNames);
    let rows = 0;
    for await (const chunk of chunks) {
      await write(
        out,
        named
          ? formatNamed(await model.predictEncodedAsync(chunk.data, chunk.nrow, iterations))
          : formatRows(await model.predictAsync(chunk.data, options), chunk.nrow, width),
      );
      rows += chunk.nrow;
      bar.update((input as { bytesRead?: number }).bytesRead ?? 0, { rows });
    }
  } finally {
    bar.stop();
    model.dispose();
    if (out !== process.stdout) {
      out.end();
      await once(out, "finish");
    }
  }
}

/** CSV lines for a chunk. String(x) is the shortest text that parses back to the same double. */
function formatRows(values: Float64Array, nrow: number, width: number): string {
  const lines = new Array<string>(nrow);
  for (let r = 0; r < nrow; r++) {
    let line = "";
    for (let c = 0; c < width; c++) line += (c ? "," : "") + String(values[r * width + c]);
    lines[r] = line;
  }
  return `${lines.join("\n")}\n`;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}
