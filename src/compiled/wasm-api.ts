/**
 * The slice of the WebAssembly JavaScript API the compiled forest uses, typed here: the project's
 * TypeScript lib is ES2022 without the DOM, which is where TypeScript declares WebAssembly.
 *
 * No `node:` imports: part of the browser-safe entry.
 */

/** A compiled module (WebAssembly.Module): can be sent to workers and instantiated there. */
export interface WasmModule {
  readonly __brand?: "WebAssembly.Module";
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's WebAssembly object, or undefined where there is none (or a policy removed it). */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The runtime's WebAssembly object; throws a clear error where there is none. */
export function requireWebAssembly(): WasmApi {
  const api = webAssembly();
  if (api === undefined) throw new Error("this JavaScript runtime has no WebAssembly");
  return api;
}
