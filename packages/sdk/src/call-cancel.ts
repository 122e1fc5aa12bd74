/**
 * The part of AbortSignal the call path uses. AbortSignal satisfies it; `CallCancel` is a
 * cheaper one for calls that arrive by the thousand on a stream, where an AbortController per
 * call (an EventTarget with its own allocation and bookkeeping) was about 5% of a node's CPU.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: CancelListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: CancelListener): void;
}

export type CancelListener = (() => void) | { handleEvent(): void };

/** A one-shot cancellation: `cancel()` once, listeners run once, later listeners are not called. */
export class CallCancel implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: CancelListener[] | undefined;

  cancel(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const l of listeners)
      if (typeof l === 'function') l();
      else l.handleEvent();
  }

  addEventListener(_type: 'abort', listener: CancelListener): void {
    if (this.aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: CancelListener): void {
    const i = this.#listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.#listeners!.splice(i, 1);
  }
}
