/**
 * onnxruntime-node, loaded lazily (only when the onnx engine is used), behind one small session type.
 *
 * onnxruntime-node's public `InferenceSession.run` is async, but the native call under it is not: the
 * package defers a synchronous native `run` with setImmediate (dist/backend.js). To give the Engine
 * interface a synchronous `predict` / `predictRow`, this module uses that same native session
 * (`onnxruntime-node/dist/binding.js`) directly when it has the expected shape: `runSync` does the
 * work on the calling thread and `run` defers it with setImmediate, exactly as the public API does.
 * That module is internal to onnxruntime-node; if a future version changes it, the public API is used
 * instead and `runSync` is absent (the engine's sync calls then throw an error pointing to
 * predictAsync).
 */
import { createRequire } from "node:module";
import { OptionalDependencyError } from "../../errors.js";

const require = createRequire(import.meta.url);

export interface OrtSessionOptions {
  /** Intra-op threads (0 = onnxruntime's default: one per physical core). */
  intraOpNumThreads?: number;
}

export interface OrtSession {
  /** Present when the synchronous native path is available. */
  runSync?(input: Float64Array, nrow: number, ncol: number, output: string): Float64Array;
  run(input: Float64Array, nrow: number, ncol: number, output: string): Promise<Float64Array>;
  dispose(): void;
}

interface OrtTensor {
  data: unknown;
  dims: readonly number[];
}
type TensorCtor = new (type: string, data: Float64Array, dims: number[]) => OrtTensor;
interface PublicSession {
  run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  Tensor: TensorCtor;
  InferenceSession: { create(bytes: Uint8Array, options: object): Promise<PublicSession> };
}
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}
interface BindingModule {
  initOrt(): void;
  binding: { InferenceSession: new () => NativeSession };
}

let ort: OrtModule | undefined;
let binding: BindingModule | null | undefined;

/**
 * How to install onnxruntime-node, for every npm version: its install script only downloads CUDA files
 * (and fails offline, rolling back the whole install); the CPU binaries are in the package.
 */
export const ONNX_INSTALL = "ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@^1.30.0";

export function loadOrt(): OrtModule {
  if (!ort) {
    try {
      ort = require("onnxruntime-node") as OrtModule;
    } catch (err) {
      // An optional peer dependency: installed only by users of the onnx engine.
      const missing = (err as { code?: string }).code === "MODULE_NOT_FOUND";
      throw new OptionalDependencyError(
        "onnxruntime-node",
        missing
          ? "the onnx engine needs onnxruntime-node, an optional peer dependency that is not installed: run " +
              `\`${ONNX_INSTALL}\` (the setting keeps its install script from downloading CUDA files, which ` +
              "fails offline; the CPU binaries are in the package)"
          : `the onnx engine needs onnxruntime-node, which is installed but could not be loaded: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return ort;
}

function loadBinding(): BindingModule | null {
  if (binding === undefined) {
    binding = null;
    try {
      const b = require("onnxruntime-node/dist/binding.js") as Partial<BindingModule>;
      if (typeof b.initOrt === "function" && typeof b.binding?.InferenceSession === "function") {
        binding = b as BindingModule;
      }
    } catch {
      binding = null;
    }
  }
  return binding;
}

/** True when sessions can run synchronously (see the module comment). */
export function syncRunAvailable(): boolean {
  loadOrt();
  return loadBinding() !== null;
}

function sessionOptions(options: OrtSessionOptions): Record<string, unknown> {
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    intraOpNumThreads: options.intraOpNumThreads ?? 0,
  };
}

function checkOutput(t: OrtTensor | undefined, output: string): Float64Array {
  if (!t || !(t.data instanceof Float64Array)) {
    throw new Error(`onnxruntime returned no float64 tensor for output "${output}"`);
  }
  return t.data;
}

/** A session on the native binding: sync when possible. Null when the binding is not usable. */
export function createSessionSync(bytes: Uint8Array, options: OrtSessionOptions = {}): OrtSession | null {
  const { Tensor } = loadOrt();
  const b = loadBinding();
  if (!b) return null;
  b.initOrt();
  const s = new b.binding.InferenceSession();
  s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, sessionOptions(options));
  let disposed = false;
  const runSync = (input: Float64Array, nrow: number, ncol: number, output: string): Float64Array => {
    if (disposed) throw new Error("the onnx session has been disposed");
    const res = s.run({ X: new Tensor("float64", input, [nrow, ncol]) }, { [output]: null }, {});
    return checkOutput(res[output], output);
  };
  return {
    runSync,
    run: (input, nrow, ncol, output) =>
      new Promise((resolve, reject) => {
        setImmediate(() => {
          try {
            resolve(runSync(input, nrow, ncol, output));
          } catch (err) {
            reject(err);
          }
        });
      }),
    dispose() {
      if (!disposed) s.dispose();
      disposed = true;
    },
  };
}

/** A session: the native binding (sync + async) when usable, else the public async API. */
export async function createSession(bytes: Uint8Array, options: OrtSessionOptions = {}): Promise<OrtSession> {
  return createSessionSync(bytes, options) ?? createPublicSession(bytes, options);
}

/** A session on onnxruntime-node's public API: async only. */
export async function createPublicSession(
  bytes: Uint8Array,
  options: OrtSessionOptions = {},
): Promise<OrtSession> {
  const { Tensor, InferenceSession } = loadOrt();
  const s = await InferenceSession.create(bytes, sessionOptions(options));
  let disposed = false;
  return {
    async run(input, nrow, ncol, output) {
      if (disposed) throw new Error("the onnx session has been disposed");
      const res = await s.run({ X: new Tensor("float64", input, [nrow, ncol]) }, [output]);
      return checkOutput(res[output], output);
    },
    dispose() {
      if (!disposed) void s.release();
      disposed = true;
    },
  };
}
