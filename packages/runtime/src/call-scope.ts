import { InsightsError } from '@insights/sdk';
import { deadlineExceeded } from './deadline.ts';

/**
 * The lifetime of one call: it ends at the deadline or when the caller cancels. Cheaper than a
 * per-call AbortController on the hot path: the AbortSignal handlers see as `ctx.signal` is only
 * made when a handler asks for it, and the deadline is one timer.
 */
/** A signal that never aborts: pass it where no caller can cancel; scopes do not listen to it. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

/**
 * Deadlines of all live scopes, checked on one coarse timer (10 ms) instead of a timer per
 * call: starting and clearing a timer per call showed up in profiles of the call path.
 */
const live = new Set<CallScope>();
let wheel: NodeJS.Timeout | undefined;
const TICK_MS = 10;

function track(s: CallScope): void {
  live.add(s);
  if (wheel === undefined) {
    wheel = setInterval(() => {
      const now = Date.now();
      for (const scope of live) if (scope.deadline <= now) scope.expire();
      if (live.size === 0) {
        clearInterval(wheel);
        wheel = undefined;
      }
    }, TICK_MS);
    wheel.unref();
  }
}

export class CallScope {
  readonly deadline: number;
  #controller: AbortController | undefined;
  #reason: InsightsError | undefined;
  #rejecters: ((e: InsightsError) => void)[] = [];
  readonly #parent: AbortSignal | undefined;
  readonly #onParent: (() => void) | undefined;

  constructor(deadline: number, parent?: AbortSignal) {
    this.deadline = deadline;
    this.#parent = parent;
    if (parent?.aborted) {
      this.#end(cancelled(parent.reason));
      return;
    }
    if (parent !== undefined && parent !== NEVER_ABORTS) {
      this.#onParent = () => this.#end(cancelled(parent.reason));
      parent.addEventListener('abort', this.#onParent, { once: true });
    }
    if (deadline <= Date.now()) this.#end(deadlineExceeded());
    else track(this);
  }

  /** Called by the deadline wheel. */
  expire(): void {
    this.#end(deadlineExceeded());
  }

  /** Aborts at the deadline or on cancel, with a coded reason. Made on first use. */
  get signal(): AbortSignal {
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
  race<T>(work: Promise<T>): Promise<T> {
    if (this.#reason !== undefined) return Promise.reject(this.#reason);
    return new Promise<T>((resolve, reject) => {
      this.#rejecters.push(reject);
      work.then(resolve, reject);
    });
  }

  dispose(): void {
    live.delete(this);
    if (this.#onParent !== undefined) this.#parent?.removeEventListener('abort', this.#onParent);
  }

  #end(reason: InsightsError): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    live.delete(this);
    this.#controller?.abort(reason);
    for (const reject of this.#rejecters) reject(reason);
    this.#rejecters = [];
  }
}

function cancelled(reason: unknown): InsightsError {
  if (reason instanceof InsightsError) return reason;
  return new InsightsError('CANCELLED', 'call cancelled by the caller');
}
