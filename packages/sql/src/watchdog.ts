/**
 * Stops a running statement when its time is up or its caller goes away: the engine supplies
 * how to cancel it on the server; the watchdog decides when and says why.
 */
import { cancelledError, deadlineError } from './sql-errors.ts';
import type { InsightsError } from '@insights/sdk';

export class StatementWatchdog {
  #timer: NodeJS.Timeout | undefined;
  #reason: InsightsError | undefined;
  readonly #onAbort: () => void;

  constructor(
    source: string,
    budgetMs: number,
    private readonly signal: AbortSignal | undefined,
    cancel: () => void,
  ) {
    const fire = (reason: InsightsError) => {
      if (this.#reason !== undefined) return;
      this.#reason = reason;
      cancel();
    };
    this.#onAbort = () => fire(cancelledError(source));
    this.#timer = setTimeout(() => fire(deadlineError(source)), budgetMs);
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Why the statement was stopped, if the watchdog stopped it. */
  get reason(): InsightsError | undefined {
    return this.#reason;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.signal?.removeEventListener('abort', this.#onAbort);
  }
}
