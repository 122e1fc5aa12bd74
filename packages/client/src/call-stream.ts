import type * as grpc from '@grpc/grpc-js';
import { InsightsError } from '@insights/sdk';
import { DeadlineWheel, EndOfTurn } from '@insights/sdk/internal';
import {
  decodeResult,
  detailToError,
  fromGrpcError,
  type CallOutcome,
  type DecodedResultFrame,
  type DecodedStreamResult,
  type OutgoingCallFrame,
  type OutgoingStreamCall,
  type RawOutcome,
} from '@insights/wire';

export type CallStreamChannel = grpc.ClientDuplexStream<OutgoingCallFrame, DecodedResultFrame>;

export interface StreamCallRequest {
  readonly kind: number;
  readonly name: string;
  /** JSON of the arguments (written into the frame as is). */
  readonly argsJson: string;
  /** Absolute deadline, epoch ms: the call fails with DEADLINE_EXCEEDED then, whatever the node does. */
  readonly deadline: number;
  readonly capability: string;
  /** W3C trace context of the caller's span ('' when not tracing). */
  readonly traceparent?: string | undefined;
  /** The audit id of the call this one is nested in (a node forwarding a nested call). */
  readonly parentCall?: string | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Resolve with the result's bytes instead of decoding them. */
  readonly raw?: boolean | undefined;
}

/** How often pending calls' deadlines are checked: a call fails at most this late. */
const DEADLINE_TICK_MS = 5;
/** Calls per frame at most: well under what nodes accept (limits.maxCallsPerFrame). */
const FRAME_CALLS = 1024;

/**
 * One call from issue to answer. It is its own deadline-wheel entry and abort listener, so a call
 * costs this object and its promise: no timer, no closures (profiles showed both).
 */
class PendingCall {
  constructor(
    readonly stream: CallStream,
    readonly id: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
    readonly onProgress: ((fraction: number, message: string) => void) | undefined,
    readonly raw: boolean,
    readonly resolve: (o: CallOutcome | RawOutcome) => void,
    readonly reject: (e: InsightsError) => void,
  ) {}

  /** The caller aborted. */
  handleEvent(): void {
    this.stream.giveUp(this, abortReason(this.signal?.reason));
  }
}

/**
 * Many calls on one bidirectional gRPC stream, correlated by id. Calls issued in the same turn
 * of the event loop leave in one frame; that batching is what makes the mesh faster than a
 * unary call per request. If the stream breaks, every pending call fails with UNAVAILABLE
 * (retryable) and the next call opens a new stream.
 */
export class CallStream {
  #stream: CallStreamChannel | undefined;
  readonly #pending = new Map<number, PendingCall>();
  readonly #deadlines = new DeadlineWheel<PendingCall>(DEADLINE_TICK_MS, (p) =>
    this.giveUp(p, new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded')),
  );
  #nextId = 1;
  #outgoing: OutgoingStreamCall[] = [];
  #cancels: number[] = [];
  readonly #frame = new EndOfTurn(() => this.#flush());

  constructor(private readonly open: () => CallStreamChannel) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  call(req: StreamCallRequest): Promise<CallOutcome | RawOutcome> {
    if (req.signal?.aborted) return Promise.reject(abortReason(req.signal.reason));
    const id = this.#nextId++;
    return new Promise<CallOutcome | RawOutcome>((resolve, reject) => {
      const p = new PendingCall(this, id, req.deadline, req.signal, req.onProgress, req.raw === true, resolve, reject);
      this.#pending.set(id, p);
      this.#deadlines.add(p);
      req.signal?.addEventListener('abort', p, { once: true });
      this.#outgoing.push({
        id,
        kind: req.kind,
        name: req.name,
        argsJson: req.argsJson,
        timeoutMs: Math.max(1, req.deadline - Date.now()),
        capability: req.capability,
        wantProgress: req.onProgress !== undefined,
        traceparent: req.traceparent ?? '',
        parentCall: req.parentCall ?? '',
      });
      this.#frame.schedule();
    });
  }

  /** Ends a call here at its deadline or when the caller aborts, and tells the node. */
  giveUp(p: PendingCall, e: InsightsError): void {
    if (this.#pending.get(p.id) !== p) return;
    this.#settled(p);
    this.#cancels.push(p.id);
    this.#frame.schedule();
    p.reject(e);
  }

  /** Fails every pending call and closes the stream. */
  close(reason = new InsightsError('CANCELLED', 'client closed')): void {
    this.#failAll(reason);
    this.#stream?.cancel();
    this.#stream = undefined;
  }

  #settled(p: PendingCall): void {
    this.#pending.delete(p.id);
    this.#deadlines.delete(p);
    p.signal?.removeEventListener('abort', p);
  }

  #flush(): void {
    if (this.#outgoing.length === 0 && this.#cancels.length === 0) return;
    const calls = this.#outgoing;
    const stream = this.#ensureStream();
    const frame: OutgoingCallFrame = {
      calls: calls.length > FRAME_CALLS ? calls.slice(0, FRAME_CALLS) : calls,
      cancel: this.#cancels,
    };
    this.#outgoing = [];
    this.#cancels = [];
    stream.write(frame);
    // Nodes refuse frames of more than limits.maxCallsPerFrame calls (default 4096): a big turn goes in several.
    for (let i = FRAME_CALLS; i < calls.length; i += FRAME_CALLS)
      stream.write({ calls: calls.slice(i, i + FRAME_CALLS), cancel: [] } satisfies OutgoingCallFrame);
  }

  #ensureStream(): CallStreamChannel {
    if (this.#stream !== undefined) return this.#stream;
    const stream = this.open();
    this.#stream = stream;
    stream.on('data', (frame: DecodedResultFrame) => this.#onFrame(frame));
    const broken = (e?: grpc.ServiceError) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      const err = e === undefined ? undefined : fromGrpcError(e);
      this.#failAll(
        new InsightsError(
          'UNAVAILABLE',
          `call stream to node closed${err === undefined ? '' : `: ${err.message}`}`,
          err === undefined ? {} : { cause: err },
        ),
      );
    };
    stream.on('error', broken);
    stream.on('end', () => broken());
    return stream;
  }

  #onFrame(frame: DecodedResultFrame): void {
    for (const p of frame.progress) this.#pending.get(p.id)?.onProgress?.(p.fraction, p.message);
    for (const r of frame.results) {
      const pending = this.#pending.get(r.id);
      if (pending === undefined) continue; // cancelled or timed out meanwhile
      this.#settled(pending);
      settle(pending, r);
    }
  }

  #failAll(e: InsightsError): void {
    const all = [...this.#pending.values()];
    for (const p of all) {
      this.#settled(p);
      p.reject(e);
    }
  }
}

function settle(p: PendingCall, r: DecodedStreamResult): void {
  if (r.error !== null) return p.reject(detailToError(r.error));
  if (r.result === null) return p.reject(new InsightsError('INTERNAL', 'node sent a result with neither value nor error'));
  if (p.raw) return p.resolve({ type: 'raw', contentType: r.result.contentType, data: r.result.data });
  let outcome: CallOutcome;
  try {
    outcome = decodeResult(r.result);
  } catch (e) {
    return p.reject(new InsightsError('INTERNAL', `could not decode result: ${(e as Error).message}`));
  }
  p.resolve(outcome);
}

function abortReason(reason: unknown): InsightsError {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError('CANCELLED', 'call cancelled by the caller');
}
