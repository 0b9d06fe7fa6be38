/**
 * `lgbm export-onnx`: writes a LightGBM model (model.txt or bundle folder) as an ONNX model for
 * onnxruntime and other ONNX runtimes. All the work is exportOnnxModel's (src/engines/onnx/export.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { exportOnnxModel } from "../engines/onnx/export.js";
import { resolveModelFile } from "../model.js";
import { intOption } from "./options.js";

export interface ExportOnnxCommandOptions {
  model: string;
  out: string;
  startIteration?: string;
  numIterations?: string;
  mlOpset?: string;
}

export function register(program: Command): void {
  program
    .command("export-onnx")
    .description(
      "Export a model to ONNX (ai.onnx.ml TreeEnsemble, opset 5, double precision; --ml-opset 3 for older runtimes)",
    )
    .requiredOption("-m, --model <path>", "model.txt or bundle folder")
    .requiredOption("-o, --out <file.onnx>", "ONNX file to write")
    .option("--start-iteration <n>", "first iteration to export")
    .option("--num-iterations <n>", "iterations to export (default: all)")
    .option(
      "--ml-opset <n>",
      "ai.onnx.ml opset: 5 = TreeEnsemble, double end to end; 3 = TreeEnsembleRegressor for older runtimes (float32 output)",
      "5",
    )
    .action((opts: ExportOnnxCommandOptions) => {
      exportOnnxCommand(opts);
    });
}

function mlOpset(value: string | undefined): 3 | 5 {
  if (value === undefined || value === "5") return 5;
  if (value === "3") return 3;
  throw new RangeError(`--ml-opset must be 3 or 5, got ${JSON.stringify(value)}`);
}

export function exportOnnxCommand(opts: ExportOnnxCommandOptions): void {
  const { modelFile, bundleDir } = resolveModelFile(opts.model);
  const { bytes, info } = exportOnnxModel(readFileSync(modelFile, "utf8"), {
    startIteration: intOption(opts.startIteration, "start-iteration"),
    numIterations: intOption(opts.numIterations, "num-iterations"),
    mlOpset: mlOpset(opts.mlOpset),
  });
  writeFileSync(opts.out, bytes);
  for (const w of info.warnings) process.stderr.write(`lgbm: warning: ${w}\n`);
  if (bundleDir) {
    process.stderr.write(
      "note: the ONNX input is the model's encoded feature matrix; the bundle's record encoding (spec.json) is not part of the graph\n",
    );
  }
  process.stderr.write(
    `wrote ${opts.out} (${bytes.length} bytes): ${info.numTrees} trees, ${info.numNodes} nodes; ` +
      `input "${info.inputName}" double [N, ${info.numFeatures}]; outputs ${info.outputs.join(", ")} ` +
      (info.warnings.length
        ? "(double thresholds and leaf values, float32 tree output)\n"
        : "(double thresholds, leaf values and outputs)\n"),
  );
}
