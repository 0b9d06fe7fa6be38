/**
 * Picks and builds an engine for a model text or file. The default ("auto") is the native engine, falling
 * back to the wasm engine (the model compiled to WebAssembly) with a warning (logged, and once on stderr)
 * when the addon cannot be loaded, and to the js engine where the runtime has no WebAssembly.
 */
import { readFileSync } from "node:fs";
import { webAssembly } from "../compiled/wasm-api.js";
import { NativeUnavailableError } from "../errors.js";
import { setNativeBinding, warnNativeFallback } from "../native/loader.js";
import type { Engine, EngineName } from "./engine.js";
import { NativeEngine, type WalkKernel } from "./native.js";

export type EngineChoice = EngineName | "auto";

/** The engines the server and the record commands (bundle, drift, inspect) offer: onnx is predict-only. */
export type ServingEngineChoice = Exclude<EngineChoice, "onnx">;

export interface EngineOptions {
  engine?: EngineChoice;
  /** Default threads for batch predictions, native and wasm engines (default 1; see NativeEngineOptions.numThreads). */
  numThreads?: number;
  /** Native engine: who walks big models' single rows and small batches (see NativeEngineOptions.walkKernel). */
  walkKernel?: WalkKernel;
  /**
   * The addon file to load (`.../lightgbm_node.node`, lib_lightgbm beside it) instead of looking for the
   * platform package: for bundled Electron main processes. Same as `setNativeBinding(path)`.
   */
  nativeBinding?: string;
}

type Source = { file: string } | { text: string };

export async function createEngine(source: Source, options: EngineOptions = {}): Promise<Engine> {
  const choice = options.engine ?? "auto";
  if (options.nativeBinding !== undefined) setNativeBinding(options.nativeBinding);
  switch (choice) {
    case "native":
      return nativeFrom(source, options);
    case "wasm":
      return wasmFrom(source, options);
    case "js":
      return jsFrom(source);
    case "onnx": {
      const { OnnxEngine } = await import("./onnx/engine.js");
      return OnnxEngine.fromString(textOf(source), { numThreads: options.numThreads });
    }
    case "auto":
      try {
        return nativeFrom(source, options);
      } catch (err) {
        if (!(err instanceof NativeUnavailableError)) throw err;
        const wasm = webAssembly() !== undefined;
        warnNativeFallback(err, wasm ? "wasm" : "js");
        return wasm ? wasmFrom(source, options) : jsFrom(source);
      }
    default:
      throw new RangeError(
        `engine must be one of auto, native, wasm, js, onnx, got ${JSON.stringify(choice)}`,
      );
  }
}

function nativeFrom(source: Source, options: EngineOptions): Engine {
  return "file" in source
    ? NativeEngine.fromFile(source.file, options)
    : NativeEngine.fromString(source.text, options);
}

async function wasmFrom(source: Source, options: EngineOptions): Promise<Engine> {
  const [{ WasmEngine }, { nodeThreadHost }] = await Promise.all([
    import("./wasm/index.js"),
    import("../compiled/pool-node.js"),
  ]);
  return WasmEngine.create(textOf(source), { numThreads: options.numThreads, threadHost: nodeThreadHost });
}

async function jsFrom(source: Source): Promise<Engine> {
  const { JsEngine } = await import("./js/index.js");
  return JsEngine.fromString(textOf(source));
}

function textOf(source: Source): string {
  return "file" in source ? readFileSync(source.file, "utf8") : source.text;
}
