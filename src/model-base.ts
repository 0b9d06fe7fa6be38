/**
 * The record pipeline every `Model` runs: record → schema/encoder (src/bundle/encoder.ts) → engine →
 * output transform (src/bundle/output.ts) → named result. The Node SDK's Model (src/model.ts: files,
 * the native/js/onnx engines) and the browser entry's (src/browser-model.ts: texts, URLs, fetch
 * responses, a pluggable engine) extend this class and differ only in how they load; every prediction,
 * explanation and validation error comes from the code here.
 *
 * No `node:` imports (the browser entry bundles this file): test/browser-entry.test.ts checks it.
 */
import { type ColumnarInput, type Encoded, Encoder, type EncoderOptions } from "./bundle/encoder.js";
import {
  type ExplanationOf,
  OutputTransform,
  type PredictionResult,
  type ResultOf,
} from "./bundle/output.js";
import { deriveSpecFromText } from "./bundle/pandas.js";
import type { InputRecord, RecordSchema } from "./bundle/schema.js";
import { checkSpecMatchesModel, deriveSpec, type Spec, type Task } from "./bundle/spec.js";
import type { Engine, ModelInfo, PredictOptions } from "./engines/engine.js";
import { DisposedError, ValidationError } from "./errors.js";
import { toMatrix } from "./matrix.js";

export type { Task };

export type ModelOptions<T extends Task = Task> = EncoderOptions & {
  /**
   * The input spec; when absent, derived from the model: one field per feature, numbers, or categories
   * for pandas categoricals (see src/bundle/pandas.ts), each required unless `absentFields: "missing"`.
   */
  spec?: Spec;
  /**
   * The task the caller expects (`binary`, `multiclass`, `regression`): loading fails with a
   * ValidationError when the model's is another, and results are typed for it.
   */
  task?: T;
};

/**
 * Options that state the task, so that results are typed for it: `{ task: "binary" }`, or a spec whose
 * `task` has a literal type (`const spec = {...} satisfies Spec`). Checked at run time either way.
 */
export type TaskOptions<T extends Task> = { task: T } | { spec: Spec & { task: T } };

/** Matrix input of the raw API: a row-major Float64Array or an array of number arrays. */
export type MatrixInput = Float64Array | ArrayLike<number>[];

/**
 * A record argument: any object but an array or typed array (those are matrices). Generic, so that
 * records typed by an interface (which TypeScript does not let stand for Record<string, unknown>) are
 * accepted as they are.
 */
export type RecordArg<R> = R extends ArrayLike<unknown> | ArrayBufferView ? never : R;

/** Options of record predictions: iterations and threads (named results are always "normal" outputs). */
export type RecordPredictOptions = Omit<PredictOptions, "type"> & { type?: "normal" };

const TASKS: ReadonlySet<string> = new Set<Task>(["binary", "multiclass", "regression"]);

/**
 * A model and its record pipeline. `T` is the model's task when the program knows it (see TaskOptions):
 * then `predict(record)` is `ResultOf<T>`, e.g. `{ prediction: 0 | 1, probability }` for "binary".
 */
export class BaseModel<T extends Task = Task> {
  #engine: Engine | undefined;
  /**
   * The input spec: from the bundle's spec.json (or given), or derived from a bare model (numbers, and
   * categories for its pandas categoricals).
   */
  readonly spec: Spec;
  /** Where the spec came from: a bundle's spec.json or the caller (`bundle`), or the model file (`model`). */
  readonly specSource: "bundle" | "model";
  /** The model's task (its spec's, which is checked against the model's objective). */
  readonly task: T;
  readonly #encoder: Encoder;
  readonly #output: OutputTransform;
  #row: Float64Array | undefined;

  /** `modelText`: a bare model's text, to derive its spec from (pandas categoricals). */
  protected constructor(engine: Engine, options: ModelOptions<T> = {}, modelText?: string) {
    const spec =
      options.spec ?? (modelText ? deriveSpecFromText(engine.info, modelText) : deriveSpec(engine.info));
    checkSpecMatchesModel(spec, engine.info);
    checkTask(options.task, spec, engine.info);
    this.#engine = engine;
    this.spec = spec;
    this.specSource = options.spec ? "bundle" : "model";
    this.task = spec.task as T;
    // Absent fields follow the spec (a bare model's derived spec: every feature required) unless overridden.
    this.#encoder = new Encoder(spec, options);
    this.#output = new OutputTransform(spec, engine.info.numClasses);
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
  encode(input: readonly object[] | ColumnarInput): Encoded {
    return this.#encoder.encode(input);
  }

  /**
   * Validates and encodes one record into `out` at `offset` (numFeatures values, all written): the
   * allocation-free form of encode, for callers that batch rows in their own buffer.
   */
  encodeInto<R extends object>(record: RecordArg<R>, out: Float64Array, offset: number): void {
    this.#encoder.encodeOne(record, out, offset);
  }

  /**
   * Predicts a matrix: a row-major Float64Array (numFeatures values per row, used without copying)
   * or an array of number arrays. Returns one flat Float64Array, `outputWidth(options)` values per row.
   */
  predict(rows: MatrixInput, options?: PredictOptions): Float64Array;
  /**
   * Predicts one record with named fields: `{ prediction: 0 | 1, probability }` (binary),
   * `{ prediction, probabilities }` (multiclass) or `{ value }` (regression).
   */
  predict<R extends object>(record: RecordArg<R>, options?: RecordPredictOptions): ResultOf<T>;
  /** Predicts records with named fields: one named result per record, in order. */
  predict<R extends object>(records: readonly RecordArg<R>[], options?: RecordPredictOptions): ResultOf<T>[];
  predict(
    input: MatrixInput | object | readonly object[],
    options: PredictOptions = {},
  ): Float64Array | ResultOf<T> | ResultOf<T>[] {
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
        return this.#results(this.engine.predictRow(row, options), 1)[0];
      }
      default: {
        checkRecordOptions(options);
        const { data, nrow } = this.#encoder.encode(input as readonly object[]);
        return this.#results(this.engine.predict(data, nrow, options), nrow);
      }
    }
  }

  /** As predict, off the event loop (native engine: on libuv's thread pool). */
  async predictAsync(rows: MatrixInput, options?: PredictOptions): Promise<Float64Array>;
  async predictAsync<R extends object>(
    record: RecordArg<R>,
    options?: RecordPredictOptions,
  ): Promise<ResultOf<T>>;
  async predictAsync<R extends object>(
    records: readonly RecordArg<R>[],
    options?: RecordPredictOptions,
  ): Promise<ResultOf<T>[]>;
  async predictAsync(
    input: MatrixInput | object | readonly object[],
    options: PredictOptions = {},
  ): Promise<Float64Array | ResultOf<T> | ResultOf<T>[]> {
    const kind = inputKind(input);
    if (kind === "matrix") {
      const { data, nrow } = toMatrix(input as MatrixInput, this.info.numFeatures);
      return this.engine.predictAsync(data, nrow, options);
    }
    checkRecordOptions(options);
    if (kind === "record") {
      const row = this.#encoder.encodeOne(input);
      return this.#results(await this.engine.predictAsync(row, 1, options), 1)[0];
    }
    const { data, nrow } = this.#encoder.encode(input as readonly object[]);
    return this.#results(await this.engine.predictAsync(data, nrow, options), nrow);
  }

  /**
   * Named results of encoded rows (row-major, `info.numFeatures` values a row, as encode and encodeInto
   * write them): the rest of the pipeline for callers that encode in their own buffers.
   */
  predictEncoded(data: Float64Array, nrow: number, options: RecordPredictOptions = {}): ResultOf<T>[] {
    checkRecordOptions(options);
    return this.#results(this.engine.predict(data, nrow, options), nrow);
  }

  /** As predictEncoded, off the event loop (native engine: on libuv's thread pool). */
  async predictEncodedAsync(
    data: Float64Array,
    nrow: number,
    options: RecordPredictOptions = {},
  ): Promise<ResultOf<T>[]> {
    checkRecordOptions(options);
    return this.#results(await this.engine.predictAsync(data, nrow, options), nrow);
  }

  /**
   * One encoded row's named result on the engine's fastest single-row path, its raw output written to
   * `out` (outputWidth() values) when given: no allocation but the result object.
   */
  predictEncodedRow(row: Float64Array, out?: Float64Array): ResultOf<T> {
    return this.#results(this.engine.predictRow(row, {}, out), 1)[0];
  }

  /**
   * SHAP contributions of one record per input field (one-hot columns summed back into their field),
   * sorted by |value|, largest first; in raw-score space (log-odds for binary), so baseValue plus the
   * contributions is the raw score. Multiclass: `{ classes: [...] }`, one explanation per class.
   */
  explain<R extends object>(
    record: RecordArg<R>,
    options: Omit<RecordPredictOptions, "type"> = {},
  ): ExplanationOf<T> {
    const row = this.#encoder.encodeOne(record);
    return this.#output.explain(
      this.engine.predict(row, 1, { ...options, type: "contrib" }),
    ) as ExplanationOf<T>;
  }

  /**
   * One encoded row (numFeatures values) on the engine's fastest path: outputWidth(options) values. With
   * `out` (that many values), the result is written there and `out` is returned: no allocation per call.
   */
  predictRow(row: Float64Array, options: PredictOptions = {}, out?: Float64Array): Float64Array {
    return this.engine.predictRow(row, options, out);
  }

  /** Frees the engine's native resources now instead of at garbage collection. Idempotent. */
  dispose(): void {
    this.#engine?.dispose();
    this.#engine = undefined;
  }

  #results(output: Float64Array, nrow: number): ResultOf<T>[] {
    // The output transform makes the shape of this.task's results (the spec's, checked in the constructor).
    return this.#output.toResults(output, nrow) as PredictionResult[] as ResultOf<T>[];
  }
}

/**
 * Builds a model around an engine; the engine is disposed when that fails (a spec that does not match
 * the model, another task than expected), so no caller leaks it.
 */
export function adoptEngine<M>(engine: Engine, make: () => M): M {
  try {
    return make();
  } catch (err) {
    engine.dispose();
    throw err;
  }
}

/** The expected task (when stated) is the model's; a JavaScript caller's typo is named too. */
function checkTask(expected: unknown, spec: Spec, info: ModelInfo): void {
  if (expected === undefined) return;
  if (typeof expected !== "string" || !TASKS.has(expected)) {
    throw new ValidationError([
      {
        field: "task",
        message: `must be one of binary, multiclass, regression, got ${JSON.stringify(expected)}`,
      },
    ]);
  }
  if (expected !== spec.task) {
    throw new ValidationError([
      {
        field: "task",
        message: `is ${expected} but the model's task is ${spec.task} (objective ${info.objective})`,
      },
    ]);
  }
}

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

export type { InputRecord };
