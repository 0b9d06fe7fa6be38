/** `lgbm inspect`: what a model is, human-readable or as JSON. */
import type { Command } from "commander";
import type { ServingEngineChoice } from "../engines/create.js";
import { Model } from "../model.js";
import { loadedAddon } from "../native/loader.js";

export function register(program: Command): void {
  program
    .command("inspect")
    .description("Show a model's metadata")
    .requiredOption("-m, --model <path>", "model.txt or bundle folder")
    .option("-e, --engine <engine>", "auto | native | wasm | js", "auto")
    .option("--json", "print JSON")
    .action(async (opts: { model: string; engine: ServingEngineChoice; json?: boolean }) => {
      const model = await Model.load(opts.model, { engine: opts.engine });
      try {
        const report = { ...model.info, engine: model.engine.name, lightgbm: libraryVersion() };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const lines = [
          `objective:          ${report.objectiveLine}`,
          `classes:            ${report.numClasses}`,
          `iterations:         ${report.numIterations}`,
          `trees/iteration:    ${report.numTreePerIteration}`,
          `features (${report.numFeatures}):${report.featureNames.map((f) => `\n  - ${f}`).join("")}`,
          `engine:             ${report.engine}`,
          `LightGBM library:   ${report.lightgbm}`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        model.dispose();
      }
    });
}

/** The version of the lib_lightgbm the loaded addon came with (from lightgbm-library.json next to it). */
export function libraryVersion(): string {
  const addon = loadedAddon();
  if (!addon) return "not loaded";
  return addon.lightgbm ?? "unknown";
}
