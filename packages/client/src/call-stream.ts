import type * as grpc from '@grpc/grpc-js';
import { InsightsError } from '@insights/sdk';
import {
  decodeResult,
  detailToError,
  fromGrpcError,
  type CallOutcome,
  type WireCallFrame,
  type WireResultFrame,
  type WireStreamCall,
} from '@insights/wire';

interface Pending {
  resolve(o: CallOutcome): void;
  reject(e: InsightsError): void;
  onProgress: ((fraction: number, message: string) => void) | undefined;
}

const deadlineExceeded = () => new InsightsError('DEADLINE_EXCEEDED', 'deadline exceeded');

export interface StreamCallRequest {
  readonly kind: number;
  readonly name: string;
  readonly argsJson: Uint8Array;
  /** Absolute deadline, epoch ms: the call fails with DEADLINE_EXCEEDED then, whatever the node does. */
  readonly deadline: number;
  readonly capability: string;
  /** W3C trace context of the caller's span ('' when not tracing). */
  readonly traceparent?: string | undefined;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Many calls on one bidirectional gRPC stream, correlated by id. Calls issued in the same turn
 * of the event loop leave in one frame; that batching is what makes the mesh faster than a
 * unary call per request. If the stream breaks, every pending call fails with UNAVAILABLE
 * (retryable) and the next call opens a new stream.
 */
export class CallStream {
  #stream: grpc.ClientDuplexStream<WireCallFrame, WireResultFrame> | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #outgoing: WireStreamCall[] = [];
  #cancels: number[] = [];
  #flushScheduled = false;

  constructor(private readonly open: () => grpc.ClientDuplexStream<WireCallFrame, WireResultFrame>) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  call(req: StreamCallRequest): Promise<CallOutcome> {
    const id = this.#nextId++;
    return new Promise<CallOutcome>((resolve, reject) => {
      if (req.signal?.aborted) return reject(abortReason(req.signal.reason));
      const timeoutMs = Math.max(1, req.deadline - Date.now());
      // Ends the call here (and tells the node) at the deadline or when the caller aborts.
      const giveUp = (e: InsightsError) => {
        if (this.#pending.delete(id)) {
          this.#cancels.push(id);
          this.#schedule();
          cleanup();
          reject(e);
        }
      };
      const timer = setTimeout(() => giveUp(deadlineExceeded()), timeoutMs);
      const onAbort = req.signal === undefined ? undefined : () => giveUp(abortReason(req.signal?.reason));
      if (onAbort !== undefined) req.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        if (onAbort !== undefined) req.signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.set(id, {
        resolve: (o) => (cleanup(), resolve(o)),
        reject: (e) => (cleanup(), reject(e)),
        onProgress: req.onProgress,
      });
      this.#outgoing.push({
        id,
        kind: req.kind,
        name: req.name,
        argsJson: req.argsJson,
        timeoutMs,
        capability: req.capability,
        wantProgress: req.onProgress !== undefined,
        traceparent: req.traceparent ?? '',
      });
      this.#schedule();
    });
  }

  /** Fails every pending call and closes the stream. */
  close(reason = new InsightsError('CANCELLED', 'client closed')): void {
    this.#failAll(reason);
    this.#stream?.cancel();
    this.#stream = undefined;
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // nextTick from promise code runs once the microtask queue is drained: every call issued in
    // this turn of the event loop joins the frame, without waiting for the next loop iteration.
    process.nextTick(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#outgoing.length === 0 && this.#cancels.length === 0) return;
    const frame: WireCallFrame = { calls: this.#outgoing, cancel: this.#cancels };
    this.#outgoing = [];
    this.#cancels = [];
    this.#ensureStream().write(frame);
  }

  #ensureStream(): grpc.ClientDuplexStream<WireCallFrame, WireResultFrame> {
    if (this.#stream !== undefined) return this.#stream;
    const stream = this.open();
    this.#stream = stream;
    stream.on('data', (frame: WireResultFrame) => this.#onFrame(frame));
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

  #onFrame(frame: WireResultFrame): void {
    for (const p of frame.progress) this.#pending.get(p.id)?.onProgress?.(p.fraction, p.message);
    for (const r of frame.results) {
      const pending = this.#pending.get(r.id);
      if (pending === undefined) continue; // cancelled or timed out meanwhile
      this.#pending.delete(r.id);
      if (r.error) pending.reject(detailToError(r.error));
      else if (r.result) {
        try {
          pending.resolve(decodeResult(r.result));
        } catch (e) {
          pending.reject(new InsightsError('INTERNAL', `could not decode result: ${(e as Error).message}`));
        }
      } else pending.reject(new InsightsError('INTERNAL', 'node sent a result with neither value nor error'));
    }
  }

  #failAll(e: InsightsError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(e);
  }
}

function abortReason(reason: unknown): InsightsError {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError('CANCELLED', 'call cancelled by the caller');
}
