import type * as grpc from '@grpc/grpc-js';
import { InsightsError } from '@insights/sdk';
import { CallCancel, EndOfTurn } from '@insights/sdk/internal';
import {
  encodeResultBody,
  errorToDetail,
  toGrpcStatus,
  toInsightsError,
  type CallOutcome,
  type DecodedCallFrame,
  type OutgoingResultFrame,
  type OutgoingStreamResult,
  type WireProgress,
  type WireStreamCall,
} from '@insights/wire';
import { callDeadline, callableKind, parseArgsJson } from './call-decoding.ts';
import { kindLabel, traced } from './call-observer.ts';
import type { GrpcServerDeps } from './grpc-server.ts';

type CallStream = grpc.ServerDuplexStream<DecodedCallFrame, OutgoingResultFrame>;

/**
 * Calls of one frame started in one turn of the event loop (see #nextSlice). Measured with 64
 * calls in flight (bench, scenario 1): 8 → 130k calls/s, 16 → 145k, 32 → 205k, unsliced → 100k.
 */
const SLICE = 32;

/** A frame holding this many result bytes is written at once instead of at the end of the turn. */
const FLUSH_AT_BYTES = 256 * 1024;

const CANCELLED = new InsightsError('CANCELLED', 'call cancelled by the caller');
const STREAM_CLOSED = new InsightsError('CANCELLED', 'call stream closed by the caller');

/** Calls of one frame not answered yet: the frame is in flight until it reaches 0. */
interface FrameTally {
  left: number;
}

/** A running call: its cancel signal, and the frame it came in (one allocation per call, as before). */
class StreamCall extends CallCancel {
  constructor(readonly frame: FrameTally) {
    super();
  }
}

interface Waiting {
  readonly call: WireStreamCall;
  readonly frame: FrameTally;
}

/**
 * One client's multiplexed call stream. Each frame may carry many calls; results and progress
 * reports that are ready in the same turn of the event loop go back in one frame. Per call the
 * node allocates a CallCancel and the result record, nothing else it can avoid: this is the
 * path the throughput benchmark measures.
 */
export class CallStreamSession {
  readonly #running = new Map<number, StreamCall>();
  #results: OutgoingStreamResult[] = [];
  #progress: WireProgress[] = [];
  readonly #frame = new EndOfTurn(() => this.#flush());
  #open = true;
  /** Calls received but not started yet (see #nextSlice). */
  #backlog: Waiting[] = [];
  /** Frames with calls not answered yet (limits.maxFramesInFlightPerStream). */
  #framesInFlight = 0;
  #sliceScheduled = false;
  /** Result bytes waiting in the next frame. */
  #frameBytes = 0;

  constructor(
    private readonly stream: CallStream,
    private readonly deps: GrpcServerDeps,
  ) {
    stream.on('data', (frame: DecodedCallFrame) => this.#onFrame(frame));
    stream.on('end', () => this.#onHalfClose());
    stream.on('cancelled', () => this.#close());
    stream.on('error', () => this.#close());
  }

  #onFrame(frame: DecodedCallFrame): void {
    if (frame.malformed !== undefined) return this.#malformed(frame.malformed);
    for (const id of frame.cancel) this.#running.get(id)?.cancel(CANCELLED);
    if (frame.cancel.length > 0 && this.#backlog.length > 0) {
      const gone = new Set(frame.cancel);
      this.#backlog = this.#backlog.filter((w) => {
        if (!gone.has(w.call.id)) return true;
        this.#answered(w.frame);
        return false;
      });
    }
    const calls = frame.calls;
    if (calls.length === 0) return;
    const refusal = this.#refusal(calls.length);
    if (refusal !== undefined) {
      for (const c of calls) this.#refuse(c, refusal);
      return;
    }
    const tally: FrameTally = { left: calls.length };
    this.#framesInFlight++;
    if (this.#backlog.length > 0) {
      for (const c of calls) this.#backlog.push({ call: c, frame: tally });
      return;
    }
    const n = Math.min(calls.length, SLICE);
    for (let i = 0; i < n; i++) this.#start(calls[i]!, tally);
    for (let i = n; i < calls.length; i++) this.#backlog.push({ call: calls[i]!, frame: tally });
    this.#scheduleSlice();
  }

  /** Bytes that were no CallFrame: the stream ends INVALID_ARGUMENT (what it carried cannot be answered call by call). */
  #malformed(reason: string): void {
    this.deps.metrics.refused('call-stream', 'malformed-frame');
    const e = new InsightsError('INVALID_ARGUMENT', `undecodable CallStream frame: ${reason}`, { parameter: 'frame' });
    this.#close();
    this.stream.emit('error', toGrpcStatus(e));
  }

  /** Why a frame of `n` calls cannot be taken now (limits.maxCallsPerFrame, limits.maxFramesInFlightPerStream), if it cannot. */
  #refusal(n: number): InsightsError | undefined {
    const { maxCallsPerFrame, maxFramesInFlightPerStream } = this.deps.limits;
    if (n > maxCallsPerFrame) {
      this.deps.metrics.refused('call-stream', 'maxCallsPerFrame');
      return new InsightsError(
        'RESOURCE_EXHAUSTED',
        `a CallStream frame may carry at most ${maxCallsPerFrame} calls (limits.maxCallsPerFrame); this one had ${n}`,
      );
    }
    if (this.#framesInFlight >= maxFramesInFlightPerStream) {
      this.deps.metrics.refused('call-stream', 'maxFramesInFlightPerStream');
      return new InsightsError(
        'RESOURCE_EXHAUSTED',
        `this stream already has ${maxFramesInFlightPerStream} frames whose calls are not all answered (limits.maxFramesInFlightPerStream); retry when answers arrive`,
      );
    }
    return undefined;
  }

  /** Answers a call that never started: refused at the door. */
  #refuse(c: WireStreamCall, e: InsightsError): void {
    this.deps.metrics.observeCall(kindLabel(c.kind), c.name, performance.now(), e.code);
    this.#results.push({ id: c.id, error: errorToDetail(e) });
    this.#frame.schedule();
  }

  #answered(frame: FrameTally): void {
    if (--frame.left === 0) this.#framesInFlight--;
  }

  #scheduleSlice(): void {
    if (this.#backlog.length === 0 || this.#sliceScheduled) return;
    this.#sliceScheduled = true;
    setImmediate(this.#nextSlice);
  }

  /**
   * Starts the next slice of a large frame in the next turn of the event loop, after the previous
   * slice's results were written: the client works on those while the node computes the rest, so
   * both processes stay busy instead of taking turns (about twice the throughput, see SLICE).
   */
  readonly #nextSlice = (): void => {
    this.#sliceScheduled = false;
    const waiting = this.#backlog.splice(0, SLICE);
    for (const w of waiting) this.#start(w.call, w.frame);
    this.#scheduleSlice();
  };

  #start(c: WireStreamCall, frame: FrameTally): void {
    const cancel = new StreamCall(frame);
    this.#running.set(c.id, cancel);
    const startedAt = performance.now();
    const work =
      this.deps.tracing === undefined
        ? this.#dispatch(c, cancel)
        : traced(this.deps, kindLabel(c.kind), c.name, c.traceparent, () => this.#dispatch(c, cancel));
    work.then(
      (outcome) => {
        let result: OutgoingStreamResult;
        try {
          result = { id: c.id, result: encodeResultBody(outcome) };
        } catch (e) {
          return this.#failed(c, startedAt, e);
        }
        this.#finish(c, startedAt, 'OK', result);
      },
      (e: unknown) => this.#failed(c, startedAt, e),
    );
  }

  #dispatch(c: WireStreamCall, cancel: StreamCall): Promise<CallOutcome> {
    try {
      const kind = callableKind(c.kind);
      const deps = this.deps;
      const parsed = parseArgsJson(c.argsJson, deps.argsLimits);
      const { args, authority, parentId } = deps.authorizer.authorize(kind, c.name, parsed, c.capability, c);
      return deps.dispatcher.call({
        kind,
        name: c.name,
        args,
        // Unchanged by the authorizer (no capability, route or pseudonyms: each of those builds new
        // args, so identity is the test): a sandbox gets the bytes as received.
        argsJson: args === parsed ? c.argsJson : undefined,
        authority,
        deadline: callDeadline(c.timeoutMs, deps.limits.maxDeadlineMs, 'timeout_ms'),
        signal: cancel,
        traceparent: c.traceparent,
        parentId,
        onProgress: c.wantProgress ? (fraction, message) => this.#report(c.id, fraction, message) : undefined,
      });
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  #failed(c: WireStreamCall, startedAt: number, e: unknown): void {
    const err = toInsightsError(e);
    this.#finish(c, startedAt, err.code, { id: c.id, error: errorToDetail(err) });
  }

  #finish(c: WireStreamCall, startedAt: number, code: string, result: OutgoingStreamResult): void {
    this.deps.metrics.observeCall(kindLabel(c.kind), c.name, startedAt, code);
    const running = this.#running.get(c.id);
    if (running !== undefined) {
      this.#running.delete(c.id);
      this.#answered(running.frame);
    }
    this.#results.push(result);
    this.#frameBytes += result.result?.data.length ?? 0;
    // Large results leave at once, each in its own frame: batching them would make the client
    // wait for the whole batch (megabytes) before it could use the first.
    if (this.#frameBytes >= FLUSH_AT_BYTES) this.#flush();
    else this.#frame.schedule();
  }

  #report(id: number, fraction: number, message: string): void {
    this.#progress.push({ id, fraction, message });
    this.#frame.schedule();
  }

  #flush(): void {
    if (!this.#open || (this.#results.length === 0 && this.#progress.length === 0)) return;
    this.stream.write({ results: this.#results, progress: this.#progress });
    this.#results = [];
    this.#progress = [];
    this.#frameBytes = 0;
  }

  /** The client half-closed: answer what is running, then end. */
  #onHalfClose(): void {
    const finish = (): void => {
      if (this.#running.size > 0 || this.#backlog.length > 0) return void setTimeout(finish, 5);
      this.#flush();
      this.stream.end();
      this.#close();
    };
    finish();
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#backlog = [];
    this.#framesInFlight = 0;
    for (const c of this.#running.values()) c.cancel(STREAM_CLOSED);
    this.#running.clear();
  }
}
