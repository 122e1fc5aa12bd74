import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { InsightsError } from '@insights/sdk';
import {
  encodeJson,
  fromGrpcError,
  insightsClientConstructor,
  kindToWire,
  decodeResult,
  type CallOutcome,
  type RawOutcome,
  type WireDescribeResponse,
  type WireIngestRequest,
  type WireIngestResponse,
  type WireProveResponse,
  type WireResult,
} from '@insights/wire';
import { CallStream, type CallStreamChannel } from './call-stream.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

export interface NodeCallRequest {
  /** Event properties take `{ event }` as arguments. */
  readonly kind: 'query' | 'view' | 'event-property';
  readonly name: string;
  readonly args: unknown;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  readonly capability?: string | undefined;
  /** Leave the result undecoded (`mesh.raw`). */
  readonly raw?: boolean | undefined;
  /** Sent when no OpenTelemetry span is active (CallOptions.traceparent). */
  readonly traceparent?: string | undefined;
  /** The audit id of the call this one is nested in (CallOptions.parentCall). */
  readonly parentCall?: string | undefined;
}

/** TLS towards nodes. Without `caFile` the system's authorities are trusted; cert and key are the client certificate for mutual TLS. */
export interface ClientTlsOptions {
  /** PEM authority that signed the nodes' certificates. */
  caFile?: string;
  /** PEM client certificate, for nodes that require one. */
  certFile?: string;
  keyFile?: string;
  /** Name to verify in the nodes' certificates instead of the host of their address. */
  serverName?: string;
}

/** gRPC channel credentials for `tls` (read once per connection). */
export function tlsCredentials(tls: ClientTlsOptions): grpc.ChannelCredentials {
  const read = (file: string | undefined, what: string) => {
    if (file === undefined) return null;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new InsightsError('INVALID_ARGUMENT', `tls.${what}: cannot read ${file}: ${(e as Error).message}`, {
        parameter: `tls.${what}`,
      });
    }
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'tls: give both certFile and keyFile (a client certificate and its key), or neither',
      { parameter: 'tls' },
    );
  return grpc.credentials.createSsl(read(tls.caFile, 'caFile'), read(tls.keyFile, 'keyFile'), read(tls.certFile, 'certFile'));
}

/**
 * The active span's W3C traceparent, so the node continues the caller's trace. Costs one
 * context lookup when nobody traces (no context manager: the root context, no span).
 */
export function activeTraceparent(): string {
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !trace.isSpanContextValid(sc)) return '';
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

type InsightsClient = grpc.Client & {
  Prove(
    req: { nonce: Uint8Array },
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: WireProveResponse) => void,
  ): void;
  Describe(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: WireDescribeResponse) => void): void;
  Call(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { result: WireResult }) => void): void;
  CallStream(): CallStreamChannel;
  Ingest(req: WireIngestRequest, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: WireIngestResponse) => void): void;
  IngestStream(
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: WireIngestResponse) => void,
  ): grpc.ClientWritableStream<WireIngestRequest>;
};

/** One node: a gRPC channel, its multiplexed call stream, and Describe. */
export class NodeConnection {
  readonly address: string;
  readonly breaker = new CircuitBreaker();
  readonly #client: InsightsClient;
  readonly #stream: CallStream;

  constructor(
    address: string,
    credentials = grpc.credentials.createInsecure(),
    options: { serverName?: string | undefined } = {},
  ) {
    this.address = address;
    const Ctor = insightsClientConstructor();
    this.#client = new Ctor(address, credentials, {
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': 30_000,
      ...(options.serverName === undefined
        ? {}
        : { 'grpc.ssl_target_name_override': options.serverName, 'grpc.default_authority': options.serverName }),
    }) as unknown as InsightsClient;
    this.#stream = new CallStream(() => this.#client.CallStream());
  }

  /** The node signs `nonce` with its key (see NodeProofs). */
  prove(nonce: Uint8Array, timeoutMs = 5000): Promise<WireProveResponse> {
    return new Promise((resolve, reject) =>
      this.#client.Prove({ nonce }, { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(fromGrpcError(e)) : resolve(r))),
    );
  }

  #proof: (() => Promise<void>) | undefined;
  #proving: Promise<void> | undefined;
  #bind: ((capability: string) => string) | undefined;

  /** Every capability sent to this node goes through `bind` first (a node wraps its own for the node it calls). */
  bindCapabilities(bind: (capability: string) => string): void {
    this.#bind = bind;
  }

  #capability(capability: string | undefined): string {
    if (capability === undefined || capability === '') return '';
    return this.#bind === undefined ? capability : this.#bind(capability);
  }

  /**
   * Nothing (no call, capability, ingest token or Describe) leaves for this node until `check`
   * has passed once; a failed check fails the request and is tried again by the next one.
   */
  requireProof(check: () => Promise<void>): void {
    this.#proof = check;
  }

  /** Runs `send` once the node has proven itself (at once when no proof is required or it passed). */
  #afterProof<T>(send: () => Promise<T>): Promise<T> {
    if (this.#proof === undefined) return send();
    this.#proving ??= this.#proof().then(
      () => {
        this.#proof = undefined; // proven: the hot path no longer waits
      },
      (e: unknown) => {
        this.#proving = undefined;
        throw e;
      },
    );
    return this.#proving.then(send);
  }

  describe(timeoutMs = 5000, capability = ''): Promise<WireDescribeResponse> {
    return this.#afterProof(() => this.#describe(timeoutMs, capability));
  }

  #describe(timeoutMs: number, capability: string): Promise<WireDescribeResponse> {
    return new Promise((resolve, reject) =>
      this.#client.Describe({ capability: this.#capability(capability) }, { deadline: Date.now() + timeoutMs }, (e, r) =>
        e ? reject(fromGrpcError(e)) : resolve(r),
      ),
    );
  }

  /** A call on the multiplexed stream; the client enforces the deadline even if the node hangs. */
  call(req: NodeCallRequest): Promise<CallOutcome | RawOutcome> {
    // A connection closed while a caller still held it fails fast and retryably (grpc-js would throw asynchronously).
    if (this.#closed) return Promise.reject(new InsightsError('UNAVAILABLE', `connection to node ${this.address} is closed`));
    if (this.#proof !== undefined) return this.#afterProof(() => this.call(req));
    return this.#stream.call({
      kind: kindToWire(req.kind),
      name: req.name,
      argsJson: JSON.stringify(req.args ?? {}),
      deadline: req.deadline,
      capability: this.#capability(req.capability),
      traceparent: activeTraceparent() || (req.traceparent ?? ''),
      parentCall: req.parentCall,
      onProgress: req.onProgress,
      signal: req.signal,
      raw: req.raw,
    });
  }

  /** The same call as a plain unary RPC (what foreign clients use). */
  callUnary(req: NodeCallRequest): Promise<CallOutcome> {
    if (this.#proof !== undefined) return this.#afterProof(() => this.callUnary(req));
    return new Promise((resolve, reject) => {
      const call = this.#client.Call(
        {
          kind: kindToWire(req.kind),
          name: req.name,
          argsJson: encodeJson(req.args ?? {}),
          capability: this.#capability(req.capability),
          traceparent: activeTraceparent() || (req.traceparent ?? ''),
          parentCall: req.parentCall ?? '',
        },
        { deadline: req.deadline },
        (e, r) => (e ? reject(fromGrpcError(e)) : resolve(decodeResult(r.result))),
      ) as unknown as grpc.ClientUnaryCall | undefined;
      req.signal?.addEventListener('abort', () => call?.cancel(), { once: true });
    });
  }

  /** Sends raw events to this node (normalised, stored, delivered there). */
  ingest(
    events: readonly unknown[],
    options: { waitForHandlers?: boolean; timeoutMs?: number; token?: string } = {},
  ): Promise<WireIngestResponse> {
    if (this.#proof !== undefined) return this.#afterProof(() => this.ingest(events, options));
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

  /**
   * A client stream for long imports: write chunks of raw events, then `end()` for the summary.
   * Opened once the node has proven itself, like every other request: the token leaves only then.
   */
  async ingestStream(token = ''): Promise<{
    write(events: readonly Uint8Array[]): boolean;
    end(): Promise<WireIngestResponse>;
    stream: grpc.ClientWritableStream<WireIngestRequest>;
  }> {
    await this.#afterProof(async () => {});
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

  #closed = false;

  close(): void {
    this.#closed = true;
    this.#stream.close(new InsightsError('CANCELLED', 'connection closed'));
    this.#client.close();
  }
}
