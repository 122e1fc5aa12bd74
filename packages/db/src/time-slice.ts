/**
 * The node runs every module's embedded database on its own event loop, and SQLite answers
 * synchronously: a query that scans a large collection would hold every other call, event and
 * heartbeat of the node until it ends. Long reads therefore give the loop back between pages
 * once they have run for a slice of time.
 */
import { performance } from 'node:perf_hooks';

/** How long a read runs before it lets the event loop turn, ms. */
export const SLICE_MS = 4;

export class TimeSlice {
  #since = performance.now();

  /** Resolves at once within the slice; after it, on the next turn of the event loop. */
  async pause(): Promise<void> {
    if (performance.now() - this.#since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
