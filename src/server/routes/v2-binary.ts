/**
 * The binary tensor data extension of the Open Inference Protocol, as Triton defines it: a body may be
 * the inference JSON followed by tensor bytes, the header Inference-Header-Content-Length giving the
 * JSON's length; an input's `binary_data_size` parameter says how many of the bytes are its data, in
 * the order of the inputs. Outputs come back the same way when asked for (`binary_data` on an output,
 * `binary_data_output` on the request). tritonclient's HTTP client does this by default.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { HttpError, unreadableBody } from "../http/errors.js";
import type { InferResponse } from "../inference/infer.js";
import {
  type Datatype,
  fromJson,
  fromRaw,
  InferenceError,
  type InputTensor,
  quote,
  toRaw,
  where,
} from "../inference/tensors.js";

export const HEADER_LENGTH = "inference-header-content-length";
const BINARY = Symbol("lightgbm-node.binaryData");

type Parameters = Record<string, unknown> | undefined;

export interface V2RequestBody {
  id?: string;
  parameters?: Parameters;
  inputs: { name: string; shape: number[]; datatype: Datatype; parameters?: Parameters; data?: unknown[] }[];
  outputs?: { name: string; parameters?: Parameters }[];
  [BINARY]?: Buffer;
}

/**
 * The V2 routes' body parser: the inference JSON, or the JSON followed by binary tensor data, whatever
 * the content type says (tritonclient sends none, curl -d sends a form's; the protocol defines the
 * body, as Triton and KServe's own servers read it).
 */
export function addInferBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, body, done) => {
    const unreadable = unreadableBody(req.headers);
    if (unreadable) return done(unreadable, undefined);
    const buf = body as Buffer;
    const given = req.headers[HEADER_LENGTH];
    if (given === undefined) {
      parseJson(req, buf.toString("utf8"), done);
      return;
    }
    const n = typeof given === "string" && /^\d+$/.test(given) ? Number(given) : -1;
    if (n <= 0 || n > buf.length) {
      done(
        new HttpError(
          400,
          n === 0
            ? "a request without an inference header (Inference-Header-Content-Length: 0) is not supported: send the JSON header first"
            : `Inference-Header-Content-Length must be the JSON header's length, 1 to ${buf.length}, got ${quote(String(given))}`,
        ),
        undefined,
      );
      return;
    }
    parseJson(req, buf.toString("utf8", 0, n), (err, value) => {
      if (err) return done(err, undefined);
      if (value !== null && typeof value === "object") {
        Object.defineProperty(value, BINARY, { value: buf.subarray(n), enumerable: false });
      }
      done(null, value);
    });
  });
}

function binarySize(name: string, params: Parameters): number | undefined {
  const size = params?.binary_data_size;
  if (size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw new InferenceError(`${where(name)}: binary_data_size must be a non-negative integer`);
  }
  return size as number;
}

/** The request's input tensors, from their JSON data or their slice of the binary data. */
export function decodeInputs(body: V2RequestBody): InputTensor[] {
  const binary = body[BINARY];
  let at = 0;
  const inputs = body.inputs.map((t) => {
    const size = binarySize(t.name, t.parameters);
    if (size === undefined) {
      if (t.data === undefined)
        throw new InferenceError(`${where(t.name)}: data is missing (or binary_data_size, for binary data)`);
      return fromJson(t.name, t.datatype, t.shape, t.data);
    }
    if (t.data !== undefined)
      throw new InferenceError(`${where(t.name)}: give data or binary_data_size, not both`);
    if (!binary || at + size > binary.length) {
      throw new InferenceError(
        `${where(t.name)}: binary_data_size ${size} runs past the binary data (${binary?.length ?? 0} bytes after the JSON header)`,
      );
    }
    const slice = binary.subarray(at, at + size);
    at += size;
    return fromRaw(t.name, t.datatype, t.shape, slice);
  });
  if (binary && at !== binary.length) {
    throw new InferenceError(
      `the binary data has ${binary.length - at} bytes that no input's binary_data_size accounts for`,
    );
  }
  return inputs;
}

/** Whether the request wants an output as binary data: its own `binary_data`, else `binary_data_output`. */
export function binaryOutputs(body: V2RequestBody): (name: string) => boolean {
  const all = body.parameters?.binary_data_output === true;
  const each = new Map((body.outputs ?? []).map((o) => [o.name, o.parameters?.binary_data]));
  return (name) => {
    const b = each.get(name);
    return b === undefined ? all : b === true;
  };
}

/** Sends the response: JSON, or JSON + binary data when an output is wanted as binary. */
export function inferReply(
  reply: FastifyReply,
  res: InferResponse,
  binary: (name: string) => boolean,
): InferResponse | Buffer {
  const raws: Buffer[] = [];
  const outputs = res.outputs.map((t) => {
    if (!binary(t.name))
      return { name: t.name, datatype: t.datatype, shape: t.shape, data: Array.from(t.data) };
    const raw = toRaw(t);
    raws.push(raw);
    return {
      name: t.name,
      datatype: t.datatype,
      shape: t.shape,
      parameters: { binary_data_size: raw.length },
    };
  });
  const json = { ...res, outputs };
  if (raws.length === 0) return json as unknown as InferResponse;
  const head = Buffer.from(JSON.stringify(json), "utf8");
  reply.header(HEADER_LENGTH, String(head.length));
  reply.header("content-type", "application/octet-stream");
  return Buffer.concat([head, ...raws]);
}
