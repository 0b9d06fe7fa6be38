/**
 * `lgbm`: the command-line shell over the SDK. Each subcommand lives in its own file and registers
 * itself here; none of them holds prediction logic of its own.
 */
import { createRequire } from "node:module";
import { Command } from "commander";
import { register as registerBundle } from "./bundle.js";
import { register as registerDrift } from "./drift.js";
import { register as registerExportOnnx } from "./export-onnx.js";
import { register as registerInspect } from "./inspect.js";
import { register as registerPredict } from "./predict.js";
import { register as registerServe } from "./serve.js";
import { register as registerTrain } from "./train.js";

export function buildProgram(): Command {
  const program = new Command("lgbm")
    .description("Run, train, inspect and serve LightGBM models on Node.js")
    .version(packageVersion(), "-V, --version", "print lightgbm-node's version")
    .showHelpAfterError()
    .exitOverride((err) => {
      process.exit(err.exitCode);
    });
  registerPredict(program);
  registerInspect(program);
  registerExportOnnx(program);
  registerDrift(program);
  registerTrain(program);
  registerBundle(program);
  registerServe(program);
  return program;
}

/** This package's version (dist/cli and src/cli are both two folders below package.json). */
function packageVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

/** Runs the CLI; errors become one clear line on stderr and exit code 1 (2 for usage errors). */
export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const e = err as Error & { issues?: unknown };
    process.stderr.write(`lgbm: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}\n`);
    process.exitCode = 1;
  }
}
