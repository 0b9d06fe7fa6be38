/**
 * ONNX protobuf encoding with protobufjs, by reflection from the official schema (onnx.proto, kept
 * next to this file). The schema is loaded at runtime from its JSON descriptor (onnx-schema.ts,
 * generated from onnx.proto by gen-schema.mjs and committed; protobufjs itself is loaded on first use) rather than from the .proto text or
 * from generated static code: tsc does not copy .proto files into dist/, static code generation needs
 * protobufjs-cli at build time, and reflection costs a few milliseconds once per process.
 */
import { createRequire } from "node:module";
import type * as Protobuf from "protobufjs";
import { ONNX_SCHEMA } from "./onnx-schema.js";

// Loaded on first use: importing the SDK must not pay for protobufjs.
const require = createRequire(import.meta.url);

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

let root: Protobuf.Root | undefined;

function schema(): Protobuf.Root {
  root ??= (require("protobufjs") as typeof Protobuf).Root.fromJSON(ONNX_SCHEMA);
  return root;
}

export function modelType(): Protobuf.Type {
  return schema().lookupType("onnx.ModelProto");
}

/** Encodes a plain ModelProto object (snake_case fields, as in onnx.proto). */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const T = modelType();
  const problem = T.verify(model);
  if (problem) throw new Error(`internal error: invalid ONNX ModelProto: ${problem}`);
  return T.encode(T.fromObject(model)).finish();
}

/** Decodes ONNX bytes into a plain object (int64 as numbers, bytes as Uint8Array). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const T = modelType();
  return T.toObject(T.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}
