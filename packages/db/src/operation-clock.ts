/**
 * The node-thread time of one database operation, bounded by MAX_RUN_MS. An operation runs in
 * synchronous stretches (a cursor's page, a write's scan); each is timed, and deep loops (the
 * store's pages, expression operators) ask the clock of the stretch running now whether the
 * operation is over its time, so one that would run on fails with DB_TIMEOUT where it is, even in
 * the middle of one page. Time between stretches (the event loop's turns, a cursor nobody reads)
 * does not count.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { DbError } from './errors.ts';
import { MAX_HEAP_FRACTION, MAX_RUN_MS } from './query-limits.ts';

/** Heap in use past which the running operation is stopped, bytes. */
const HEAP_GUARD_BYTES = Math.floor(getHeapStatistics().heap_size_limit * MAX_HEAP_FRACTION);

/** The clock of the stretch running now. */
const running: { clock: OperationClock | undefined } = { clock: undefined };

/** Checks between two readings of the time (a reading costs ~50 ns, a page of rows far more). */
const CHECKS_PER_READING = 4;

export class OperationClock {
  readonly #ns: string;
  readonly #limitMs: number;
  #ranMs = 0;
  /** When the running stretch's count started (its first reading of the time); undefined before. */
  #since: number | undefined;
  #stretches = 0;
  #checks = 0;
  /** The running stretch has not read the time yet, and is not the operation's first. */
  #unread = false;

  readonly #heapBytes: number;

  constructor(ns: string, limitMs = MAX_RUN_MS, heapBytes = HEAP_GUARD_BYTES) {
    this.#ns = ns;
    this.#limitMs = limitMs;
    this.#heapBytes = heapBytes;
  }

  /**
   * Runs one synchronous stretch of the operation; its time counts from its first reading of the
   * time, which is at its first check (at the operation's 4th in its first stretch): a short
   * operation (a findOne, a write of one document) reads no time at all.
   */
  run<R>(stretch: () => R): R {
    if (running.clock === this) return stretch();
    const outer = running.clock;
    running.clock = this;
    this.#since = undefined;
    this.#unread = this.#stretches++ > 0;
    try {
      return stretch();
    } finally {
      if (this.#since !== undefined) this.#ranMs += performance.now() - this.#since;
      this.#since = undefined;
      running.clock = outer;
    }
  }

  /**
   * Throws DB_TIMEOUT when the operation has run past its limit, or DB_NODE_MEMORY when the node's
   * heap is nearly full (looking every few calls).
   */
  check(): void {
    if (++this.#checks % CHECKS_PER_READING !== 0 && !this.#unread) return;
    this.#unread = false;
    const heap = getHeapStatistics().used_heap_size;
    if (heap > this.#heapBytes) {
      throw new DbError(
        'DB_NODE_MEMORY',
        `An operation on ${this.#ns} was stopped: the node's heap holds ${Math.round(heap / 1024 / 1024)} MiB, over ` +
          `${MAX_HEAP_FRACTION * 100}% of its limit (MAX_HEAP_FRACTION). Hold less at once: $match first, fewer or smaller ` +
          'documents into $group, $sort and $unwind.',
        { namespace: this.#ns },
      );
    }
    const now = performance.now();
    if (this.#since === undefined) {
      this.#since = now;
      return;
    }
    if (this.#ranMs + (now - this.#since) <= this.#limitMs) return;
    throw new DbError(
      'DB_TIMEOUT',
      `An operation on ${this.#ns} ran for more than ${this.#limitMs / 1000} s of the node's time (MAX_RUN_MS) and was ` +
        'stopped: narrow its filter, index the fields it filters or sorts on, or split the work.',
      { namespace: this.#ns },
    );
  }
}

/** Checks the clock of the operation running now, if any. */
export function checkActiveClock(): void {
  running.clock?.check();
}

/** Runs a synchronous operation (or its synchronous part) under a clock of its own. */
export function timed<R>(ns: string, operation: () => R): R {
  return running.clock !== undefined ? operation() : new OperationClock(ns).run(operation);
}

/** `pages`, each read as one stretch of `clock`. */
export function* timedPages<T>(clock: OperationClock, pages: Iterable<T>): Generator<T> {
  const it = pages[Symbol.iterator]();
  try {
    for (;;) {
      const r = clock.run(() => it.next());
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    it.return?.();
  }
}
