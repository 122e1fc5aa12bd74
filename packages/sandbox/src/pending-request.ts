import type { InsightsError } from '@insights/sdk';
import { NEVER_ABORTS } from '@insights/runtime/internal';
import type { CallAuthority } from '@insights/runtime/internal';
import type { GateEntry } from './call-gate.ts';
import type { CancelSignal, DeadlineWheel } from '@insights/sdk/internal';
import type { RequestMessage } from './protocol.ts';
import type { Sandbox, SandboxSink } from './sandbox.ts';

/** The host's side of a pending request's life: answered, past its deadline, cancelled by the caller. */
export interface RequestOwner {
  settle(p: PendingRequest, error: InsightsError | undefined, value?: unknown): void;
  aborted(p: PendingRequest): void;
  /** Watches deadlines (the owner learns of a passed one from the wheel). */
  readonly deadlines: DeadlineWheel<PendingRequest>;
}

export interface RequestOptions {
  /** `<module>.<analytic>`, for error messages. */
  readonly analytic: string;
  /** Absolute, epoch ms. */
  readonly deadline: number;
  readonly signal: CancelSignal;
  readonly onProgress?: ((fraction: number, message: string) => void) | undefined;
  /** Checks the sandbox's answer before the node uses it (the module could send anything). */
  readonly accept: (value: unknown) => boolean;
  /** Turns an accepted answer into what the caller gets (saves a promise per call over `.then`). */
  readonly adopt?: ((value: unknown) => unknown) | undefined;
  /** Who a call runs for: nested calls naming this request carry it. */
  readonly authority?: CallAuthority | undefined;
  /** The call's audit id: nested calls naming this request are recorded as its children. */
  readonly auditId?: string | undefined;
}

/**
 * One request from the node to a sandboxed module (a call, an event batch, a job...) from
 * admission to answer. It is its own deadline-wheel entry, abort listener and answer sink, so a
 * request costs one object, not a handful of closures and a timer.
 */
export class PendingRequest implements SandboxSink, GateEntry {
  settled = false;
  /** The sandbox it was sent to; undefined while it waits in the queue. */
  sandbox: Sandbox | undefined = undefined;
  id = 0;

  constructor(
    readonly owner: RequestOwner,
    readonly body: RequestMessage,
    readonly options: RequestOptions,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: InsightsError) => void,
  ) {}

  get isCall(): boolean {
    return this.body.type === 'call';
  }

  /** Calls, event batches and jobs get a context with `mesh`; other requests make no nested calls. */
  get makesNestedCalls(): boolean {
    const t = this.body.type;
    return t === 'call' || t === 'events' || t === 'job';
  }

  get authority(): CallAuthority | undefined {
    return this.options.authority;
  }

  get auditId(): string | undefined {
    return this.options.auditId;
  }

  get deadline(): number {
    return this.options.deadline;
  }

  arm(): void {
    this.owner.deadlines.add(this);
    // Most calls carry the dispatcher's never-aborting signal: listening to it costs, for nothing.
    if (this.options.signal !== NEVER_ABORTS) this.options.signal.addEventListener('abort', this);
  }

  disarm(): void {
    this.owner.deadlines.delete(this);
    if (this.options.signal !== NEVER_ABORTS) this.options.signal.removeEventListener('abort', this);
  }

  handleEvent(): void {
    this.owner.aborted(this);
  }

  done(value: unknown): void {
    this.owner.settle(this, undefined, value);
  }

  failed(error: InsightsError): void {
    this.owner.settle(this, error);
  }

  progress(fraction: number, message: string): void {
    this.options.onProgress?.(fraction, message);
  }
}
