import * as grpc from '@grpc/grpc-js';
import { InsightsError } from '@insights/sdk';
import {
  encodeJson,
  fromGrpcError,
  insightsClientConstructor,
  kindToWire,
  decodeResult,
  type CallOutcome,
  type WireCallFrame,
  type WireDescribeResponse,
  type WireIngestRequest,
  type WireIngestResponse,
  type WireResult,
  type WireResultFrame,
} from '@insights/wire';
import { CallStream } from './call-stream.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

export interface NodeCallRequest {
  readonly kind: 'query' | 'view';
  readonly name: string;
  readonly args: unknown;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  readonly capability?: string | undefined;
}

type InsightsClient = grpc.Client & {
  Describe(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: WireDescribeResponse) => void): void;
  Call(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { result: WireResult }) => void): void;
  CallStream(): grpc.ClientDuplexStream<WireCallFrame, WireResultFrame>;
  Ingest(req: WireIngestRequest, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: WireIngestResponse) => void): void;
  IngestStream(opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: WireIngestResponse) => void): grpc.ClientWritableStream<WireIngestRequest>;
};

/** One node: a gRPC channel, its multiplexed call stream, and Describe. */
export class NodeConnection {
  readonly address: string;
  readonly breaker = new CircuitBreaker();
  readonly #client: InsightsClient;
  readonly #stream: CallStream;

  constructor(address: string, credentials = grpc.credentials.createInsecure()) {
    this.address = address;
    const Ctor = insightsClientConstructor();
    this.#client = new Ctor(address, credentials, {
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': 30_000,
    }) as unknown as InsightsClient;
    this.#stream = new CallStream(() => this.#client.CallStream());
  }

  describe(timeoutMs = 5000, capability = ''): Promise<WireDescribeResponse> {
    return new Promise((resolve, reject) =>
      this.#client.Describe({ capability }, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(fromGrpcError(e)) : resolve(r))),
    );
  }

  /** A call on the multiplexed stream; the client enforces the deadline even if the node hangs. */
  call(req: NodeCallRequest): Promise<CallOutcome> {
    return this.#stream.call({
      kind: kindToWire(req.kind),
      name: req.name,
      argsJson: encodeJson(req.args ?? {}),
      deadline: req.deadline,
      capability: req.capability ?? '',
      onProgress: req.onProgress,
      signal: req.signal,
    });
  }

  /** The same call as a plain unary RPC (what foreign clients use). */
  callUnary(req: NodeCallRequest): Promise<CallOutcome> {
    return new Promise((resolve, reject) => {
      const call = this.#client.Call(
        { kind: kindToWire(req.kind), name: req.name, argsJson: encodeJson(req.args ?? {}), capability: req.capability ?? '' },
        { deadline: req.deadline },
        (e, r) => (e ? reject(fromGrpcError(e)) : resolve(decodeResult(r.result))),
      ) as unknown as grpc.ClientUnaryCall | undefined;
      req.signal?.addEventListener('abort', () => call?.cancel(), { once: true });
    });
  }

  /** Sends raw events to this node (normalised, stored, delivered there). */
  ingest(events: readonly unknown[], options: { waitForHandlers?: boolean; timeoutMs?: number; token?: string } = {}): Promise<WireIngestResponse> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) =>
      this.#client.Ingest(
        {
          eventsJson: events.map((e) => Buffer.from(JSON.stringify(e))),
          waitForHandlers: options.waitForHandlers ?? false,
          waitTimeoutMs: timeoutMs,
          capability: options.token ?? '',
        },
        { deadline: Date.now() + timeoutMs + 5000 },
        (e, r) => (e ? reject(fromGrpcError(e)) : resolve(r)),
      ),
    );
  }

  /** A client stream for long imports: write chunks of raw events, then `end()` for the summary. */
  ingestStream(token = ''): { write(events: readonly Uint8Array[]): boolean; end(): Promise<WireIngestResponse>; stream: grpc.ClientWritableStream<WireIngestRequest> } {
    let settle!: { resolve(r: WireIngestResponse): void; reject(e: unknown): void };
    const done = new Promise<WireIngestResponse>((resolve, reject) => (settle = { resolve, reject }));
    const stream = this.#client.IngestStream({}, (e, r) => (e ? settle.reject(fromGrpcError(e)) : settle.resolve(r)));
    return {
      stream,
      write: (events) => stream.write({ eventsJson: [...events], waitForHandlers: false, waitTimeoutMs: 0, capability: token }),
      end: () => {
        stream.end();
        return done;
      },
    };
  }

  close(): void {
    this.#stream.close(new InsightsError('CANCELLED', 'connection closed'));
    this.#client.close();
  }
}
