/**
 * The inference.GRPCInferenceService definition for @grpc/grpc-js, from grpc_predict_v2.proto (held as
 * protobufjs JSON in proto-json.ts). int64 fields arrive as decimal strings (never rounded: values are
 * checked where they are used), bytes as Buffers, repeated fields as arrays even when empty.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { GRPC_PREDICT_V2 } from "./proto-json.js";

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  arrays: true,
  oneofs: true,
};

type ServiceClient = grpc.ServiceClientConstructor;

/** The service's definition (server side) and a client constructor (tests, benchmarks). */
export function inferenceService(): { service: grpc.ServiceDefinition; Client: ServiceClient } {
  const definition = protoLoader.fromJSON(
    GRPC_PREDICT_V2 as Parameters<typeof protoLoader.fromJSON>[0],
    LOADER_OPTIONS,
  );
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: ServiceClient };
  };
  const Client = pkg.inference.GRPCInferenceService;
  return { service: Client.service, Client };
}
