/**
 * Model: the Node SDK's entry point. Loads a `model.txt` or a bundle folder (`model.txt` + optional
 * `spec.json`) from files, picks an engine (native, js or onnx), and runs the record pipeline it shares
 * with the browser entry's Model (src/model-base.ts): only loading and the choice of engine are here.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { EncoderOptions } from "./bundle/encoder.js";
import { parseSpec, type Spec, type Task } from "./bundle/spec.js";
import { createEngine, type EngineOptions } from "./engines/create.js";
import type { Engine } from "./engines/engine.js";
import { ValidationError } from "./errors.js";
import { adoptEngine, BaseModel, type ModelOptions, type TaskOptions } from "./model-base.js";

export {
  BaseModel,
  type InputRecord,
  type MatrixInput,
  type ModelOptions,
  type RecordArg,
  type RecordPredictOptions,
  type TaskOptions,
} from "./model-base.js";

/** Options of Model.load and Model.fromString: the engine, how records are read, the expected task. */
export type LoadOptions = EngineOptions & EncoderOptions & { task?: Task };

/** Where a path's model text is: the file itself, or `model.txt` inside a bundle folder. */
export function resolveModelFile(path: string): { modelFile: string; bundleDir?: string } {
  if (!existsSync(path)) throw new ValidationError([{ field: "path", message: `${path} does not exist` }]);
  if (statSync(path).isDirectory()) {
    const modelFile = join(path, "model.txt");
    if (!existsSync(modelFile)) {
      throw new ValidationError([{ field: "path", message: `${path} is a folder without model.txt` }]);
    }
    return { modelFile, bundleDir: path };
  }
  return { modelFile: path };
}

/** Reads and checks `<dir>/spec.json`; undefined when the bundle has none. */
export function readBundleSpec(bundleDir: string): Spec | undefined {
  const file = join(bundleDir, "spec.json");
  if (!existsSync(file)) return undefined;
  return parseSpec(readFileSync(file, "utf8"), file);
}

export class Model<T extends Task = Task> extends BaseModel<T> {
  /**
   * Loads a model file or a bundle folder (`model.txt` + optional `spec.json`, validated and checked
   * against the model). With `{ task: "binary" }` the model must be binary (else a ValidationError) and
   * its results are typed as binary results.
   */
  static load<T extends Task>(path: string, options: LoadOptions & { task: T }): Promise<Model<T>>;
  static load(path: string, options?: LoadOptions): Promise<Model>;
  static async load(path: string, options: LoadOptions = {}): Promise<Model> {
    const { modelFile, bundleDir } = resolveModelFile(path);
    const spec = bundleDir ? readBundleSpec(bundleDir) : undefined;
    // A bare model's fields come from its text (pandas_categorical, categorical features).
    const text = spec ? undefined : readFileSync(modelFile, "utf8");
    const engine = await createEngine({ file: modelFile }, options);
    return adoptEngine(engine, () => new Model(engine, { ...options, spec }, text));
  }

  /** A model from LightGBM's text format in memory (with `spec`, a bundle's). */
  static fromString<T extends Task>(
    text: string,
    options: LoadOptions & ModelOptions & TaskOptions<T>,
  ): Promise<Model<T>>;
  static fromString(text: string, options?: LoadOptions & ModelOptions): Promise<Model>;
  static async fromString(text: string, options: LoadOptions & ModelOptions = {}): Promise<Model> {
    const engine = await createEngine({ text }, options);
    return adoptEngine(engine, () => new Model(engine, options, text));
  }

  /** Wraps an engine you built yourself (the model takes ownership). */
  static fromEngine<T extends Task>(engine: Engine, options: ModelOptions & TaskOptions<T>): Model<T>;
  static fromEngine(engine: Engine, options?: ModelOptions): Model;
  static fromEngine(engine: Engine, options: ModelOptions = {}): Model {
    return adoptEngine(engine, () => new Model(engine, options));
  }
}
