/**
 * Model: the SDK's entry point. Loads a `model.txt` or a bundle folder (`model.txt` + optional
 * `spec.json`), picks an engine, and predicts. This file holds the raw matrix API; records with named
 * fields go through the bundle's schema and encoder first (see src/bundle/).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type ColumnarInput, type Encoded, Encoder, type EncoderOptions } from "./bundle/encoder.js";
import { type ExplainResult, OutputTransform, type PredictionResult } from "./bundle/output.js";
import { deriveSpecFromText } from "./bundle/pandas.js";
import type { InputRecord, RecordSchema } from "./bundle/schema.js";
import { checkSpecMatchesModel, deriveSpec, parseSpec, type Spec } from "./bundle/spec.js";
import { createEngine, type EngineOptions } from "./engines/create.js";
import type { Engine, ModelInfo, PredictOptions } from "./engines/engine.js";
import { DisposedError, ValidationError } from "./errors.js";
import { toMatrix } from "./matrix.js";

export type LoadOptions = EngineOptions & EncoderOptions;
export type ModelOptions = EncoderOptions & {
  /**
   * The input spec; when absent, derived from the model: one field per feature, numbers, or categories
   * for pandas categoricals (see src/bundle/pandas.ts), each required unless `absentFields: "missing"`.
   */
  spec?: Spec;
};

/** Matrix input of the raw API: a row-major Float64Array or an array of number arrays. */
export type MatrixInput = Float64Array | ArrayLike<number>[];

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

export class Model {
  #engine: Engine | undefined;
  /**
   * The input spec: from the bundle's spec.json (or given), or derived from a bare model (numbers, and
   * categories for its pandas categoricals).
   */
  readonly spec: Spec;
  /** Where the spec came from: a bundle's spec.json or the caller (`bundle`), or the model file (`model`). */
  readonly specSource: "bundle" | "model";
  readonly #encoder: Encoder;
  readonly #output: OutputTransform;
  #row: Float64Array | undefined;

  protected constructor(engine: Engine, options: ModelOptions = {}, modelText?: string) {
    const spec =
      options.spec ?? (modelText ? deriveSpecFromText(engine.info, modelText) : deriveSpec(engine.info));
    checkSpecMatchesModel(spec, engine.info);
    this.#engine = engine;
    this.spec = spec;
    this.specSource = options.spec ? "bundle" : "model";
    // Absent fields follow the spec (a bare model's derived spec: every feature required) unless overridden.
    this.#encoder = new Encoder(spec, options);
    this.#output = new OutputTransform(spec, engine.info.numClasses);
  }

  /**
   * Loads a model file or a bundle folder (`model.txt` + optional `spec.json`, validated and checked
   * against the model).
   */
  static async load(path: string, options: LoadOptions = {}): Promise<Model> {
    const { modelFile, bundleDir } = resolveModelFile(path);
    const spec = bundleDir ? readBundleSpec(bundleDir) : undefined;
    // A bare model's fields come from its text (pandas_categorical, categorical features).
    const text = spec ? undefined : readFileSync(modelFile, "utf8");
    return Model.#wrap(await createEngine({ file: modelFile }, options), { ...options, spec }, text);
  }

  /** A model from LightGBM's text format in memory. */
  static async fromString(text: string, options: LoadOptions & ModelOptions = {}): Promise<Model> {
    return Model.#wrap(await createEngine({ text }, options), options, text);
  }

  /** Wraps an engine you built yourself (the model takes ownership). */
  static fromEngine(engine: Engine, options: ModelOptions = {}): Model {
    return Model.#wrap(engine, options);
  }

  static #wrap(engine: Engine, options: ModelOptions, modelText?: string): Model {
    try {
      return new Model(engine, options, modelText);
    } catch (err) {
      engine.dispose();
      throw err;
    }
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

  /** The record schema: `zod` (validates one record) and `jsonSchema` (for OpenAPI). */
  get schema(): RecordSchema {
    return this.#encoder.schema;
  }

  /** Checks one record against the spec; throws ValidationError listing every problem. */
  validate(record: unknown): void {
    this.#encoder.validate(record);
  }

  /**
   * Validates and encodes records (an array of objects) or columnar input (`{ field: values[] }`)
   * into the model's row-major matrix.
   */
  encode(input: readonly InputRecord[] | ColumnarInput): Encoded {
    return this.#encoder.encode(input);
  }

  /**
   * Validates and encodes one record into `out` at `offset` (numFeatures values, all written): the
   * allocation-free form of encode, for callers that batch rows in their own buffer.
   */
  encodeInto(record: InputRecord, out: Float64Array, offset: number): void {
    this.#encoder.encodeOne(record, out, offset);
  }

  /**
   * Predicts a matrix: a row-major Float64Array (numFeatures values per row, used without copying)
   * or an array of number arrays. Returns one flat Float64Array, `outputWidth(options)` values per row.
   */
  predict(rows: MatrixInput, options?: PredictOptions): Float64Array;
  /** Predicts one record with named fields: `{ prediction, probability }`, `{ prediction, probabilities }` or `{ value }`. */
  predict(record: InputRecord, options?: RecordPredictOptions): PredictionResult;
  /** Predicts records with named fields: one named result per record. */
  predict(records: readonly InputRecord[], options?: RecordPredictOptions): PredictionResult[];
  predict(
    input: MatrixInput | InputRecord | readonly InputRecord[],
    options: PredictOptions = {},
  ): Float64Array | PredictionResult | PredictionResult[] {
    switch (inputKind(input)) {
      case "matrix": {
        const { data, nrow } = toMatrix(input as MatrixInput, this.info.numFeatures);
        return this.engine.predict(data, nrow, options);
      }
      case "record": {
        checkRecordOptions(options);
        // One reused row buffer: the encoder writes every column of it, one-hot zeros included.
        this.#row ??= new Float64Array(this.#encoder.ncol);
        const row = this.#encoder.encodeOne(input, this.#row);
        return this.#output.toResults(this.engine.predictRow(row, options), 1)[0];
      }
      default: {
        checkRecordOptions(options);
        const { data, nrow } = this.#encoder.encode(input as readonly InputRecord[]);
        return this.#output.toResults(this.engine.predict(data, nrow, options), nrow);
      }
    }
  }

  /** As predict, off the event loop (native engine: on libuv's thread pool). */
  async predictAsync(rows: MatrixInput, options?: PredictOptions): Promise<Float64Array>;
  async predictAsync(
    records: readonly InputRecord[],
    options?: RecordPredictOptions,
  ): Promise<PredictionResult[]>;
  async predictAsync(
    input: MatrixInput | readonly InputRecord[],
    options: PredictOptions = {},
  ): Promise<Float64Array | PredictionResult[]> {
    if (inputKind(input) === "matrix") {
      const { data, nrow } = toMatrix(input as MatrixInput, this.info.numFeatures);
      return this.engine.predictAsync(data, nrow, options);
    }
    checkRecordOptions(options);
    const { data, nrow } = this.#encoder.encode(input as readonly InputRecord[]);
    return this.#output.toResults(await this.engine.predictAsync(data, nrow, options), nrow);
  }

  /**
   * Named results of encoded rows (row-major, `info.numFeatures` values a row, as encode and encodeInto
   * write them): the rest of the pipeline for callers that encode in their own buffers.
   */
  predictEncoded(data: Float64Array, nrow: number, options: RecordPredictOptions = {}): PredictionResult[] {
    checkRecordOptions(options);
    return this.#output.toResults(this.engine.predict(data, nrow, options), nrow);
  }

  /** As predictEncoded, off the event loop (native engine: on libuv's thread pool). */
  async predictEncodedAsync(
    data: Float64Array,
    nrow: number,
    options: RecordPredictOptions = {},
  ): Promise<PredictionResult[]> {
    checkRecordOptions(options);
    return this.#output.toResults(await this.engine.predictAsync(data, nrow, options), nrow);
  }

  /**
   * One encoded row's named result on the engine's fastest single-row path, its raw output written to
   * `out` (outputWidth() values) when given: no allocation but the result object.
   */
  predictEncodedRow(row: Float64Array, out?: Float64Array): PredictionResult {
    return this.#output.toResults(this.engine.predictRow(row, {}, out), 1)[0];
  }

  /**
   * SHAP contributions of one record per input field (one-hot columns summed back into their field),
   * sorted by |value|, largest first; in raw-score space (log-odds for binary). Multiclass: per class.
   */
  explain(record: InputRecord, options: Omit<RecordPredictOptions, "type"> = {}): ExplainResult {
    const row = this.#encoder.encodeOne(record);
    return this.#output.explain(this.engine.predict(row, 1, { ...options, type: "contrib" }));
  }

  /**
   * One encoded row on the engine's fastest path. With `out` (outputWidth(options) values), the
   * result is written there and `out` is returned: no allocation per call.
   */
  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    return this.engine.predictRow(row, options, out);
  }

  /** Frees the engine's native resources now instead of at garbage collection. Idempotent. */
  dispose(): void {
    this.#engine?.dispose();
    this.#engine = undefined;
  }
}

/** Options of record predictions: iterations and threads (named results are always "normal" outputs). */
export type RecordPredictOptions = Omit<PredictOptions, "type"> & { type?: "normal" };

function checkRecordOptions(options: PredictOptions): void {
  if (options.type !== undefined && options.type !== "normal") {
    throw new TypeError(
      `records give named results of type "normal"; for ${JSON.stringify(options.type)} outputs encode them with model.encode() and use the matrix API (explain() gives contributions per field)`,
    );
  }
}

/**
 * What predict was given: a matrix (Float64Array, or an array whose first element is array-like), a
 * batch of records (an array of objects, or an empty array) or one record (a plain object).
 */
function inputKind(input: unknown): "matrix" | "records" | "record" {
  if (ArrayBuffer.isView(input)) return "matrix";
  if (Array.isArray(input)) {
    const first = input[0];
    return Array.isArray(first) || ArrayBuffer.isView(first) ? "matrix" : "records";
  }
  if (input !== null && typeof input === "object") return "record";
  return "matrix"; // toMatrix reports the wrong type
}
