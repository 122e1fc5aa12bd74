import { InsightsError } from '@insights/sdk';
import { DeadlineWheel, type CancelSignal } from '@insights/sdk/internal';
import { deadlineExceeded } from './deadline.ts';

/** A signal that never aborts: pass it where no caller can cancel; scopes do not listen to it. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

/** Deadlines of all live scopes, on one coarse timer instead of a timer per call. */
const deadlines = new DeadlineWheel<CallScope>(10, (scope) => scope.expire());

/**
 * The lifetime of one call: it ends at the deadline or when the caller cancels. Cheaper than a
 * per-call AbortController on the hot path: the AbortSignal handlers see as `ctx.signal` is only
 * made when a handler asks for it, and deadlines share one coarse timer.
 */
export class CallScope {
  readonly deadline: number;
  #controller: AbortController | undefined;
  #reason: InsightsError | undefined;
  #rejecters: ((e: InsightsError) => void)[] | undefined;
  readonly #parent: CancelSignal | undefined;
  #armed = false;

  constructor(deadline: number, parent?: CancelSignal) {
    this.deadline = deadline;
    this.#parent = parent;
    if (parent?.aborted) this.#end(cancelled(parent.reason));
    else if (deadline <= Date.now()) this.#end(deadlineExceeded());
  }

  /**
   * Starts watching the deadline and the caller, once something can observe them (a pending
   * promise, a handler holding the signal). A handler that answers synchronously never pays.
   */
  #arm(): void {
    if (this.#armed || this.#reason !== undefined) return;
    this.#armed = true;
    deadlines.add(this);
    // The scope is its own listener: no closure per call.
    if (this.#parent !== undefined && this.#parent !== NEVER_ABORTS) this.#parent.addEventListener('abort', this, { once: true });
  }

  /** The caller cancelled. */
  handleEvent(): void {
    this.#end(cancelled(this.#parent?.reason));
  }

  /** Called by the deadline wheel. */
  expire(): void {
    this.#end(deadlineExceeded());
  }

  /** Aborts at the deadline or on cancel, with a coded reason. Made on first use. */
  get signal(): AbortSignal {
    this.#arm();
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the call ended early, if it did. */
  get reason(): InsightsError | undefined {
    return this.#reason;
  }

  /** Resolves with `work`, or rejects as soon as the scope ends. */
  race<T>(work: PromiseLike<T>): Promise<T> {
    if (this.#reason !== undefined) return Promise.reject(this.#reason);
    this.#arm();
    return new Promise<T>((resolve, reject) => {
      (this.#rejecters ??= []).push(reject);
      work.then(resolve, reject);
    });
  }

  dispose(): void {
    if (!this.#armed) return;
    this.#armed = false;
    deadlines.delete(this);
    if (this.#parent !== undefined && this.#parent !== NEVER_ABORTS) this.#parent.removeEventListener('abort', this);
  }

  #end(reason: InsightsError): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    deadlines.delete(this);
    this.#controller?.abort(reason);
    const rejecters = this.#rejecters;
    this.#rejecters = undefined;
    if (rejecters !== undefined) for (const reject of rejecters) reject(reason);
  }
}

function cancelled(reason: unknown): InsightsError {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError('CANCELLED', 'call cancelled by the caller');
}
