import * as grpc from '@grpc/grpc-js';
import { insightsService, type WireProveResponse } from '@insights/wire';

/** One request a fake node received: the method, its metadata and its message (stream frames too). */
export interface Received {
  readonly method: string;
  readonly metadata: Record<string, unknown>;
  readonly message: unknown;
}

export interface FakeNode {
  readonly address: string;
  readonly received: Received[];
  /** Every capability string seen in any message received (should stay empty). */
  capabilities(): string[];
  close(): Promise<void>;
}

/**
 * A gRPC server that speaks the Insights contract and records everything sent to it, like an
 * attacker's server at a forged registry address would. It answers every call with an error
 * (and Prove with `prove`, when given: e.g. a copied certificate and a wrong signature).
 */
export async function startFakeNode(prove?: (nonce: Uint8Array) => WireProveResponse): Promise<FakeNode> {
  const received: Received[] = [];
  const record = (method: string, call: { metadata: grpc.Metadata }, message: unknown) =>
    received.push({ method, metadata: call.metadata.getMap(), message });
  const refuse = { code: grpc.status.UNAVAILABLE, details: 'fake node' };
  const server = new grpc.Server();
  server.addService(insightsService(), {
    Prove: (call: grpc.ServerUnaryCall<{ nonce: Uint8Array }, WireProveResponse>, cb: grpc.sendUnaryData<WireProveResponse>) => {
      record('Prove', call, call.request);
      if (prove === undefined) cb({ code: grpc.status.UNIMPLEMENTED, details: 'no Prove here' });
      else cb(null, prove(call.request.nonce));
    },
    Describe: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => (
      record('Describe', call, call.request),
      cb(refuse)
    ),
    Call: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => (
      record('Call', call, call.request),
      cb(refuse)
    ),
    Ingest: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => (
      record('Ingest', call, call.request),
      cb(refuse)
    ),
    IngestStream: (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      call.on('data', (m: unknown) => record('IngestStream', call, m));
      call.on('end', () => cb(refuse));
    },
    CallStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      record('CallStream', call, undefined);
      call.on('data', (frame: unknown) => record('CallStream', call, frame));
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    received,
    capabilities: () =>
      received.flatMap(
        (r) =>
          JSON.stringify(r.message ?? {}, (_k, v: unknown) => (v instanceof Uint8Array ? undefined : v)).match(
            /ic1\.[\w-]+\.[\w-]+/g,
          ) ?? [],
      ),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
