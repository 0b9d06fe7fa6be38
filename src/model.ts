/**
 * Model: the SDK's entry point. Loads a `model.txt` or a bundle folder (`model.txt` + optional
 * `spec.json`), picks an engine, and predicts. This file holds the raw matrix API; records with named
 * fields go through the bundle's schema and encoder first (see src/bundle/).
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DisposedError, ValidationError } from "./errors.js";
import { createEngine, type EngineOptions } from "./engines/create.js";
import type { Engine, ModelInfo, PredictOptions } from "./engines/engine.js";
import { toMatrix } from "./matrix.js";

export type LoadOptions = EngineOptions;

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

export class Model {
  #engine: Engine | undefined;

  protected constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Loads a model file or a bundle folder. */
  static async load(path: string, options: LoadOptions = {}): Promise<Model> {
    const { modelFile } = resolveModelFile(path);
    return new Model(await createEngine({ file: modelFile }, options));
  }

  /** A model from LightGBM's text format in memory. */
  static async fromString(text: string, options: LoadOptions = {}): Promise<Model> {
    return new Model(await createEngine({ text }, options));
  }

  /** Wraps an engine you built yourself. */
  static fromEngine(engine: Engine): Model {
    return new Model(engine);
  }

  get engine(): Engine {
    if (!this.#engine) throw new DisposedError("the model has been disposed");
    return this.#engine;
  }

  get info(): ModelInfo {
    return this.engine.info;
  }

  /** Values per row that predict returns for these options. */
  outputWidth(options: PredictOptions = {}): number {
    return this.engine.outputWidth(options);
  }

  /**
   * Predicts a matrix: a row-major Float64Array (numFeatures values per row, used without copying)
   * or an array of number arrays. Returns one flat Float64Array, `outputWidth(options)` values per row.
   */
  predict(rows: Float64Array | ArrayLike<number>[], options: PredictOptions = {}): Float64Array {
    const { data, nrow } = toMatrix(rows, this.info.numFeatures);
    return this.engine.predict(data, nrow, options);
  }

  /** As predict, off the event loop (native engine: on libuv's thread pool). */
  async predictAsync(rows: Float64Array | ArrayLike<number>[], options: PredictOptions = {}): Promise<Float64Array> {
    const { data, nrow } = toMatrix(rows, this.info.numFeatures);
    return this.engine.predictAsync(data, nrow, options);
  }

  /** One encoded row on the engine's fastest path. */
  predictRow(row: Float64Array, options: PredictOptions = {}): Float64Array {
    return this.engine.predictRow(row, options);
  }

  /** Frees the engine's native resources now instead of at garbage collection. Idempotent. */
  dispose(): void {
    this.#engine?.dispose();
    this.#engine = undefined;
  }
}
