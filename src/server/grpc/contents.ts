/**
 * Tensor values in gRPC messages: typed InferTensorContents (the field that matches the datatype) or
 * raw bytes (raw_input_contents / raw_output_contents, the same little-endian layout as REST's binary
 * data), to and from the protocol-neutral tensors of ../inference/tensors.ts.
 */
import {
  type Datatype,
  fromRaw,
  fromValues,
  InferenceError,
  type InputTensor,
  isDatatype,
  type OutputTensor,
  quote,
  toRaw,
  where,
} from "../inference/tensors.js";

export interface Contents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: string[];
  uint_contents?: number[];
  uint64_contents?: string[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

export interface WireInput {
  name?: string;
  datatype?: string;
  shape?: string[];
  contents?: Contents;
}

/** The contents field that carries each datatype. */
const FIELD: Record<Exclude<Datatype, "FP16">, keyof Contents> = {
  BOOL: "bool_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

/** An int64 field's decimal string as a number, when a double holds it exactly. */
function int64(name: string, what: string, s: string): number {
  const v = Number(s);
  if (!Number.isSafeInteger(v))
    throw new InferenceError(`${where(name)}: ${what} ${s} is beyond what a double holds exactly`);
  return v;
}

/** The request's inputs: from raw_input_contents when given (one per input), else from each one's contents. */
export function decodeInputs(inputs: WireInput[], raw: Buffer[]): InputTensor[] {
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw new InferenceError(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs`);
  }
  return inputs.map((t, i) => {
    const name = t.name ?? "";
    if (name === "") throw new InferenceError(`inputs[${i}]: name must be a non-empty string`);
    const datatype = t.datatype;
    if (!isDatatype(datatype))
      throw new InferenceError(
        `${where(name)}: datatype must be one of the protocol's, got ${quote(String(datatype ?? ""))}`,
      );
    const shape = (t.shape ?? []).map((d) => int64(name, "dimension", d));
    if (raw.length > 0) {
      if (hasValues(t.contents))
        throw new InferenceError(`${where(name)}: give contents or raw_input_contents, not both`);
      return fromRaw(name, datatype, shape, raw[i]);
    }
    if (datatype === "FP16")
      throw new InferenceError(`${where(name)}: FP16 has no typed contents; send raw_input_contents`);
    const field = FIELD[datatype];
    const given = t.contents?.[field] ?? [];
    for (const other of Object.keys(t.contents ?? {}) as (keyof Contents)[]) {
      if (other !== field && (t.contents?.[other]?.length ?? 0) > 0) {
        throw new InferenceError(
          `${where(name)}: a ${datatype} tensor's values go in contents.${field}, not ${other}`,
        );
      }
    }
    const values =
      field === "int64_contents" || field === "uint64_contents"
        ? (given as string[]).map((s) => int64(name, "value", s))
        : (given as unknown[]);
    return fromValues(name, datatype, shape, values);
  });
}

function hasValues(c: Contents | undefined): boolean {
  return c !== undefined && Object.values(c).some((v) => Array.isArray(v) && v.length > 0);
}

/** An output's values as typed contents. */
export function toContents(t: OutputTensor): Contents {
  switch (t.datatype) {
    case "BYTES":
      return {
        bytes_contents: Array.from(t.data as ArrayLike<string | number>, (v) =>
          Buffer.from(String(v), "utf8"),
        ),
      };
    case "INT64":
      return { int64_contents: Array.from(t.data as ArrayLike<number>, (v) => String(v)) };
    case "INT32":
      return { int_contents: Array.from(t.data as ArrayLike<number>) };
    case "BOOL":
      return { bool_contents: Array.from(t.data as ArrayLike<number>, Boolean) };
    case "FP32":
      return { fp32_contents: Array.from(t.data as ArrayLike<number>) };
    default:
      return { fp64_contents: Array.from(t.data as ArrayLike<number>) };
  }
}

export { toRaw };
