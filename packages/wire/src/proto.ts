import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeCallFrameSafely, decodeResultFrame, encodeCallFrame, encodeResultFrame } from './frame-codec.ts';

/** Absolute path of the proto root (the `proto/` folder at the top of the repository). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));
export const PROTO_FILE = 'insights/v1/insights.proto';
export const SERVICE_NAME = 'insights.v1.Insights';

/**
 * Options shared by every loader of the contract. Enums as numbers and bytes as Buffers keep
 * the hot path free of string conversions; defaults on so absent fields read as zero values.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: protoLoader.PackageDefinition | undefined;

export function loadPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  return cached;
}

let service: grpc.ServiceDefinition | undefined;

/**
 * The service as grpc-js serves and calls it: protobufjs for every method but CallStream, whose
 * frames use the hand-written codec (same bytes, a fraction of the work).
 */
export function insightsService(): grpc.ServiceDefinition {
  if (service !== undefined) return service;
  const def = loadPackageDefinition()[SERVICE_NAME];
  if (def === undefined || !('Describe' in def)) throw new Error(`${SERVICE_NAME} missing from ${PROTO_FILE}`);
  const generic = def as grpc.ServiceDefinition;
  service = {
    ...generic,
    CallStream: {
      ...generic.CallStream!,
      requestSerialize: encodeCallFrame,
      requestDeserialize: decodeCallFrameSafely,
      responseSerialize: encodeResultFrame,
      responseDeserialize: decodeResultFrame,
    } as grpc.MethodDefinition<unknown, unknown>,
  };
  return service;
}

export function insightsClientConstructor(): grpc.ServiceClientConstructor {
  return grpc.makeClientConstructor(insightsService(), 'Insights');
}
