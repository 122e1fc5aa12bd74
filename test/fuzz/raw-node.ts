import { readFileSync, readdirSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { isErrorCode, type ErrorCode } from '@insights/sdk';
import {
  encodeCallFrame,
  fromGrpcError,
  insightsClientConstructor,
  insightsService,
  type DecodedResultFrame,
  type OutgoingCallFrame,
  type WireIngestRequest,
} from '@insights/wire';

/** What a node answered: a value, or a refusal with its mesh code (never a bare crash). */
export type Answer = { ok: true } | { ok: false; code: ErrorCode | 'UNCODED'; message: string };

type RawClient = grpc.Client & {
  Call(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  Ingest(req: WireIngestRequest, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void): void;
  CallStream(): grpc.ClientDuplexStream<OutgoingCallFrame | Buffer, DecodedResultFrame>;
};

/** The contract with CallStream frames written as given bytes (mutated, truncated...), not encoded. */
function bytesClientConstructor(): grpc.ServiceClientConstructor {
  const service = insightsService();
  return grpc.makeClientConstructor(
    { ...service, CallStream: { ...service.CallStream!, requestSerialize: (b: Buffer) => b } },
    'InsightsBytes',
  );
}

/**
 * A gRPC client that sends whatever bytes a test gives it (arguments as raw bytes, frames as
 * built), as an attacker would: no client-side validation, splitting or deadlines of its own.
 */
export class RawNode {
  readonly #client: RawClient;
  readonly #bytes: RawClient;

  constructor(address: string) {
    const options = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
    const credentials = grpc.credentials.createInsecure();
    this.#client = new (insightsClientConstructor())(address, credentials, options) as unknown as RawClient;
    this.#bytes = new (bytesClientConstructor())(address, credentials, options) as unknown as RawClient;
  }

  /** A unary Call with `argsJson` as given. */
  call(req: { kind: number; name: string; argsJson: Uint8Array; capability?: string }, timeoutMs = 10_000): Promise<Answer> {
    return new Promise((resolve) =>
      this.#client.Call({ capability: '', ...req }, { deadline: Date.now() + timeoutMs }, (e) =>
        resolve(e === null ? { ok: true } : answerOf(e)),
      ),
    );
  }

  /** A unary Ingest of the given event bodies. */
  ingest(eventsJson: Uint8Array[], timeoutMs = 10_000): Promise<Answer> {
    return new Promise((resolve) =>
      this.#client.Ingest(
        { eventsJson, capability: '', waitForHandlers: false, waitTimeoutMs: 0 } as WireIngestRequest,
        { deadline: Date.now() + timeoutMs },
        (e) => resolve(e === null ? { ok: true } : answerOf(e)),
      ),
    );
  }

  /**
   * Opens a CallStream, writes `frames` (objects encoded, Buffers sent as they are), half-closes, and gathers every result until the node
   * ends the stream: per call id, ok or the code it was refused with; `stream` is how the stream ended.
   */
  stream(frames: (OutgoingCallFrame | Buffer)[], timeoutMs = 20_000): Promise<{ results: Map<number, Answer>; stream: Answer }> {
    return new Promise((resolve) => {
      const results = new Map<number, Answer>();
      const asBytes = frames.some((f) => Buffer.isBuffer(f));
      const s = asBytes ? this.#bytes.CallStream() : this.#client.CallStream();
      const timer = setTimeout(() => s.cancel(), timeoutMs);
      s.on('data', (f: DecodedResultFrame) => {
        for (const r of f.results)
          results.set(
            r.id,
            r.error === null
              ? { ok: true }
              : { ok: false, code: isErrorCode(r.error.code) ? r.error.code : 'UNCODED', message: r.error.message },
          );
      });
      const done = (stream: Answer) => {
        clearTimeout(timer);
        resolve({ results, stream });
      };
      s.on('error', (e: grpc.ServiceError) => done(answerOf(e)));
      s.on('end', () => done({ ok: true }));
      for (const f of frames) s.write(asBytes && !Buffer.isBuffer(f) ? encodeCallFrame(f) : f);
      s.end();
    });
  }

  close(): void {
    this.#client.close();
    this.#bytes.close();
  }
}

function answerOf(e: grpc.ServiceError): Answer {
  const err = fromGrpcError(e);
  return { ok: false, code: isErrorCode(err.code) ? err.code : 'UNCODED', message: err.message };
}

/** Resident memory of a process, bytes (Linux). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Open file descriptors of a process (Linux). */
export function fdsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
