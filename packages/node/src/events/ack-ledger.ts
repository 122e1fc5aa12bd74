import type { JetStreamManager } from '@nats-io/jetstream';

/** How often the consumer's ack floor is read while the ledger holds anything, ms. */
const FLOOR_CHECK_MS = 1_000;
/** A bound on memory if the floor cannot be read for a long time (NATS unreachable). */
const MAX_ENTRIES = 500_000;

/**
 * The stream sequences this process has handled whose acknowledgement JetStream may not have
 * recorded. An ack is a message without an answer: one sent while a stream's leader moves is
 * lost, and the event comes back after the ack wait, thousands of events later. A redelivery found
 * here is acknowledged again without running the handler at all. Entries go once the consumer's
 * ack floor (every sequence at or below it acknowledged for good) passes them.
 *
 * It covers this process's lifetime; events in flight when a node is killed come back to the
 * restarted node (or another replica) and rely on the handler's own idempotency: `updateOnce`
 * remembers a handler's events by stream sequence until the floor read here passes them.
 */
export class AckLedger {
  /** Handled sequences, in the order they were handled (Map keeps insertion order). */
  readonly #handled = new Map<number, true>();
  #floor = 0;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  /** Redeliveries of handled events acknowledged without running the handler. */
  duplicatesSkipped = 0;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly durables: () => readonly string[],
  ) {}

  /** True when `seq` was handled here and may be acknowledged again without running the handler. */
  handled(seq: number): boolean {
    return seq <= this.#floor ? false : this.#handled.has(seq);
  }

  /** Records a handled sequence, before its ack is sent. */
  record(seq: number): void {
    if (seq <= this.#floor) return;
    this.#handled.set(seq, true);
    if (this.#handled.size > MAX_ENTRIES) this.#handled.delete(this.#handled.keys().next().value as number);
    this.#timer ??= setTimeout(() => void this.#readFloor(), FLOOR_CHECK_MS).unref();
  }

  /** The consumer's ack floor as last read (0 before the first read): no sequence at or below it comes back. */
  get floor(): number {
    return this.#floor;
  }

  get size(): number {
    return this.#handled.size;
  }

  /** Forgets every sequence at or below `floor` (all acknowledged for good). */
  advance(floor: number): void {
    if (floor <= this.#floor) return;
    this.#floor = floor;
    for (const seq of this.#handled.keys()) if (seq <= floor) this.#handled.delete(seq);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #readFloor(): Promise<void> {
    this.#timer = undefined;
    if (this.#reading) return;
    this.#reading = true;
    try {
      let floor = Infinity;
      for (const durable of this.durables())
        floor = Math.min(floor, (await this.jsm.consumers.info(this.stream, durable)).ack_floor.stream_seq);
      if (floor < Infinity) this.advance(floor);
    } catch {
      // NATS unreachable or the leader moving: try again later
    } finally {
      this.#reading = false;
      if (this.#handled.size > 0) this.#timer ??= setTimeout(() => void this.#readFloor(), FLOOR_CHECK_MS).unref();
    }
  }
}
