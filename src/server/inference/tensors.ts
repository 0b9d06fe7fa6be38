/**
 * Tensors of the Open Inference Protocol: datatypes, and the three ways their values travel. JSON
 * `data` (REST), typed `contents` (gRPC), and raw little-endian bytes (REST's binary tensor data
 * extension, gRPC's raw_input_contents / raw_output_contents), all decoded to one flat list of values.
 * Decoding checks that the values are what the datatype says and that their count matches the shape,
 * naming the input; what the values mean to the model is the model's encoder's business. Messages quote
 * what a client sent only in bounded form (names and values cut short, shapes abbreviated).
 */
import { show } from "../../bundle/schema.js";

export const DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;
export type Datatype = (typeof DATATYPES)[number];

/** Bytes per element of each fixed-size datatype (BYTES elements carry their own length). */
export const ELEMENT_BYTES: Record<Exclude<Datatype, "BYTES">, number> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

/** Integer ranges of the integer datatypes (64-bit ones: what a double holds exactly). */
const INT_RANGE: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** A bad request, named: 400 over REST, INVALID_ARGUMENT over gRPC (404 / NOT_FOUND for unknown models). */
export class InferenceError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

/** One decoded input tensor: its values flat, row-major. */
export interface InputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  /** number, boolean (BOOL) or string (BYTES); a JSON null (missing) is NaN in floating-point tensors, else null. */
  values: ArrayLike<unknown>;
}

/** One output tensor, before it is put on the wire. */
export interface OutputTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: ArrayLike<number> | readonly (string | number)[];
}

/** A name as error messages quote it: never longer than QUOTE_MAX characters, whatever was sent. */
export function quote(name: string): string {
  return JSON.stringify(name.length > QUOTE_MAX ? `${name.slice(0, QUOTE_MAX - 3)}...` : name);
}
const QUOTE_MAX = 64;

export const where = (name: string) => `input ${quote(name)}`;

export function isDatatype(d: unknown): d is Datatype {
  return typeof d === "string" && (DATATYPES as readonly string[]).includes(d);
}

/** Elements a shape holds; throws on a negative or fractional dimension. */
export function elementCount(name: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InferenceError(
        `${where(name)}: shape must be non-negative integers, got ${showShape(shape)}`,
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n))
    throw new InferenceError(`${where(name)}: shape ${showShape(shape)} is too large`);
  return n;
}

/** A shape as messages show it: its first dimensions only, when a client sent a very long one. */
export function showShape(shape: readonly unknown[]): string {
  return shape.length > 8
    ? `[${shape.slice(0, 8).join(", ")}, ... (${shape.length} dimensions)]`
    : `[${shape.join(", ")}]`;
}

function checkCount(name: string, shape: readonly number[], got: number): void {
  const want = elementCount(name, shape);
  if (got !== want) {
    throw new InferenceError(
      `${where(name)}: shape ${showShape(shape)} holds ${want} values but the data has ${got}`,
    );
  }
}

/** One value of a numeric or BOOL tensor, checked against its datatype. */
function checked(name: string, datatype: Datatype, v: unknown, i: number): unknown {
  if (v === null) {
    // A missing value (JSON has no other way to say it): NaN in a floating-point tensor.
    return datatype === "FP32" || datatype === "FP64" || datatype === "FP16" ? Number.NaN : null;
  }
  if (datatype === "BOOL") {
    if (typeof v === "boolean") return v;
  } else if (datatype === "BYTES") {
    if (typeof v === "string") return v;
  } else if (typeof v === "number") {
    const range = INT_RANGE[datatype];
    if (range === undefined) {
      if (datatype !== "FP32") return v;
      const f = Math.fround(v);
      if (Number.isFinite(f)) return f;
      throw new InferenceError(
        `${where(name)}: data[${i}] is beyond FP32's range (send it as FP64), got ${v}`,
      );
    }
    if (Number.isInteger(v) && v >= range[0] && v <= range[1]) return v;
  }
  const expected =
    datatype === "BOOL"
      ? "true or false"
      : datatype === "BYTES"
        ? "a string"
        : INT_RANGE[datatype]
          ? `an integer in ${INT_RANGE[datatype]?.join("..")}`
          : "a number";
  throw new InferenceError(`${where(name)}: data[${i}] must be ${expected} (${datatype}), got ${show(v)}`);
}

/**
 * The values of JSON `data`, flat, in row-major order. Data is flat or nested in the tensor's shape, so
 * it holds at most `rank` levels of arrays: deeper nesting is an error at the first level too deep (the
 * walk keeps its own stack, so no depth of nesting can overflow the call stack). Stops once it holds
 * more values than `limit`: the count is wrong then anyway.
 */
function flatten(name: string, data: readonly unknown[], shape: readonly number[], limit: number): unknown[] {
  const rank = Math.max(1, shape.length);
  const out: unknown[] = [];
  const arrays: (readonly unknown[])[] = [data];
  const next: number[] = [0];
  while (arrays.length > 0) {
    const top = arrays.length - 1;
    const array = arrays[top];
    const i = next[top];
    if (i === array.length) {
      arrays.pop();
      next.pop();
      continue;
    }
    next[top] = i + 1;
    const v = array[i];
    if (!Array.isArray(v)) {
      out.push(v);
      if (out.length > limit) return out;
    } else if (arrays.length < rank) {
      arrays.push(v);
      next.push(0);
    } else {
      throw new InferenceError(
        `${where(name)}: data is nested deeper than its shape ${showShape(shape)} allows (${rank} level${rank === 1 ? "" : "s"} of arrays at most)`,
      );
    }
  }
  return out;
}

/** A tensor from JSON `data` (nested in the tensor's shape, or flat). */
export function fromJson(
  name: string,
  datatype: Datatype,
  shape: number[],
  data: readonly unknown[],
): InputTensor {
  if (datatype === "FP16") {
    throw new InferenceError(`${where(name)}: FP16 has no JSON form; send it as binary data, or as FP32`);
  }
  const flat = flatten(name, data, shape, elementCount(name, shape));
  checkCount(name, shape, flat.length);
  for (let i = 0; i < flat.length; i++) flat[i] = checked(name, datatype, flat[i], i);
  return { name, datatype, shape, values: flat };
}

/** A tensor from typed values (gRPC contents: numbers, Longs as numbers, booleans, byte strings). */
export function fromValues(
  name: string,
  datatype: Datatype,
  shape: number[],
  values: readonly unknown[],
): InputTensor {
  checkCount(name, shape, values.length);
  const out = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = checked(name, datatype, ArrayBuffer.isView(v) ? utf8Text(name, v, i) : v, i);
  }
  return { name, datatype, shape, values: out };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A BYTES element as text; bytes that are not UTF-8 are an error, not replacement characters. */
function utf8Text(name: string, v: ArrayBufferView, i: number): string {
  try {
    return utf8.decode(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } catch {
    throw new InferenceError(`${where(name)}: BYTES element ${i} is not UTF-8 text`);
  }
}

/** A tensor from raw little-endian bytes (the binary data extension; gRPC raw contents). */
export function fromRaw(name: string, datatype: Datatype, shape: number[], bytes: Uint8Array): InputTensor {
  const count = elementCount(name, shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (datatype === "BYTES") {
    const values: string[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (at + 4 > bytes.length)
        throw new InferenceError(`${where(name)}: BYTES data ends inside an element's length`);
      const n = view.getUint32(at, true);
      at += 4;
      if (at + n > bytes.length)
        throw new InferenceError(`${where(name)}: BYTES element ${values.length} runs past the data`);
      try {
        values.push(utf8.decode(bytes.subarray(at, at + n)));
      } catch {
        throw new InferenceError(`${where(name)}: BYTES element ${values.length} is not UTF-8 text`);
      }
      at += n;
    }
    checkCount(name, shape, values.length);
    return { name, datatype, shape, values };
  }
  const size = ELEMENT_BYTES[datatype];
  if (bytes.length !== count * size) {
    throw new InferenceError(
      `${where(name)}: shape ${showShape(shape)} of ${datatype} takes ${count * size} bytes but the data has ${bytes.length}`,
    );
  }
  const values = new Array<unknown>(count);
  for (let i = 0, at = 0; i < count; i++, at += size) {
    switch (datatype) {
      case "BOOL": {
        const b = view.getUint8(at);
        if (b > 1)
          throw new InferenceError(`${where(name)}: BOOL element ${i} must be the byte 0 or 1, got ${b}`);
        values[i] = b === 1;
        break;
      }
      case "UINT8":
        values[i] = view.getUint8(at);
        break;
      case "UINT16":
        values[i] = view.getUint16(at, true);
        break;
      case "UINT32":
        values[i] = view.getUint32(at, true);
        break;
      case "INT8":
        values[i] = view.getInt8(at);
        break;
      case "INT16":
        values[i] = view.getInt16(at, true);
        break;
      case "INT32":
        values[i] = view.getInt32(at, true);
        break;
      case "UINT64":
      case "INT64": {
        const big = datatype === "INT64" ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        const v = Number(big);
        if (!Number.isSafeInteger(v)) {
          throw new InferenceError(
            `${where(name)}: value ${i} (${big}) is beyond what a double holds exactly`,
          );
        }
        values[i] = v;
        break;
      }
      case "FP16":
        values[i] = halfToNumber(view.getUint16(at, true));
        break;
      case "FP32":
        values[i] = view.getFloat32(at, true);
        break;
      case "FP64":
        values[i] = view.getFloat64(at, true);
        break;
    }
  }
  return { name, datatype, shape, values };
}

/** IEEE 754 half precision to a double (exact: every half is a double). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** An output tensor's values as raw little-endian bytes. */
export function toRaw(t: OutputTensor): Buffer {
  const n = t.data.length;
  if (t.datatype === "BYTES") {
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const s = Buffer.from(String(t.data[i]), "utf8");
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(s.length, 0);
      parts.push(len, s);
    }
    return Buffer.concat(parts);
  }
  const size = ELEMENT_BYTES[t.datatype];
  const buf = Buffer.alloc(n * size);
  for (let i = 0, at = 0; i < n; i++, at += size) {
    const v = Number(t.data[i]);
    switch (t.datatype) {
      case "BOOL":
        buf.writeUInt8(v ? 1 : 0, at);
        break;
      case "INT32":
        buf.writeInt32LE(v, at);
        break;
      case "INT64":
        buf.writeBigInt64LE(BigInt(v), at);
        break;
      case "FP32":
        buf.writeFloatLE(v, at);
        break;
      case "FP64":
        buf.writeDoubleLE(v, at);
        break;
      default:
        throw new Error(`no raw form for output datatype ${t.datatype}`);
    }
  }
  return buf;
}
