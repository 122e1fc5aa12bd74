/** Where a sandbox's messages come from, in order: a frame's elements (frame-channel.ts) or a posted batch. */
export interface MessageSource {
  readonly done: boolean;
  /** The next message (only while not `done`); may throw (a frame element V8 cannot read). */
  next(): unknown;
  /** The bytes the message `next()` returned last took on the channel (0: not counted, a posted batch). */
  readonly lastBytes: number;
}

/**
 * Messages of one sandbox the node takes in one turn of its event loop. Taken all at once, a
 * flooding module's 1,024 requests and their work ran before anything else, and a neighbour's
 * call waited behind them (p95 150 ms in the request-flood hostile test); in turns of 64, 10-15 ms.
 */
export const MESSAGES_PER_TURN = 64;

/** No message (a sandbox may well send `undefined`). */
const NONE: unique symbol = Symbol('none');

/** A posted batch (worker isolation) as a MessageSource. */
export class BatchSource implements MessageSource {
  #at = 0;
  /** A worker's messages are posted objects (trusted code in the node's memory): not counted. */
  readonly lastBytes: number = 0;
  constructor(private readonly batch: readonly unknown[]) {}
  get done(): boolean {
    return this.#at >= this.batch.length;
  }
  next(): unknown {
    return this.batch[this.#at++];
  }
}

/**
 * A sandbox's messages on their way to its owner, in order, at the owner's pace. The owner takes
 * one message at a time and may refuse it for now (it has no room: module-requests.ts); the inbox
 * then keeps that message first, holds everything after it and says so (`onHeld`, so the
 * transport stops reading its channel) until the owner calls `resume()`. What is held is what the
 * transport had read already: the frames of one read from the channel, each decoded only as its
 * messages are taken.
 */
export class ChannelInbox {
  #sources: MessageSource[] = [];
  /** Sources before this index are used up. */
  #first = 0;
  /** A message the owner refused, first in line (NONE: there is none). */
  #head: unknown = NONE;
  /** The channel bytes of the message #nextMessage returned (the head's, while it waits). */
  #bytes = 0;
  #held = false;
  #draining = false;
  /** Past its share of this turn: delivery goes on in the next. */
  #paced = false;
  /** A second read came while paced: the channel is not read until the first is delivered. */
  #readingStopped = false;
  /** A source threw: nothing more is delivered. */
  #failed = false;

  /**
   * @param take hands the owner one message and the bytes it took on the channel; false: not now,
   *   keep it (until `resume()`).
   * @param onHeld the owner stopped taking messages (`true`) or takes them again (`false`).
   * @param onError a message could not be read (its source threw): nothing more is delivered, ever.
   */
  constructor(
    private readonly take: (message: unknown, bytes: number) => boolean,
    private readonly onHeld: (held: boolean) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** True while the owner has refused a message and not yet resumed. */
  get held(): boolean {
    return this.#held;
  }

  /** Queues a source's messages behind what waits, and delivers what the owner takes. */
  push(source: MessageSource): void {
    if (source.done || this.#failed) return;
    this.#sources.push(source);
    if (this.#paced) {
      if (!this.#readingStopped) {
        this.#readingStopped = true;
        this.onHeld(true);
      }
      return;
    }
    if (!this.#held) this.#drain();
  }

  /** The owner has room again: delivers what waits, until it refuses one again. */
  resume(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#drain();
    if (!this.#held) this.onHeld(false);
  }

  /** Drops everything (the sandbox is gone). */
  clear(): void {
    this.#sources = [];
    this.#first = 0;
    this.#head = NONE;
  }

  #drain(): void {
    // A message taken may lead the owner to resume() (or push) from inside take(): one loop at a time.
    if (this.#draining || this.#paced) return;
    this.#draining = true;
    let taken = 0;
    try {
      while (!this.#held) {
        if (taken++ === MESSAGES_PER_TURN) {
          this.#pace();
          return;
        }
        const message = this.#nextMessage();
        if (message === NONE) return;
        if (this.take(message, this.#bytes)) continue;
        this.#head = message;
        this.#held = true;
        this.onHeld(true);
      }
    } catch (e) {
      this.#failed = true;
      this.clear();
      this.onError(e);
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Past its share of this turn of the event loop: the rest is delivered in the next turn, after
   * the loop has read every other channel and socket once. The channel is read on meanwhile until
   * a second read waits (push): then not until this one is delivered, so what waits is at most
   * two reads' frames, still undecoded. (Pausing the socket at every turn made the standard
   * analytics' handlers wait on their own writes: the 60,000-event course caught up 20-40% later.)
   */
  #pace(): void {
    this.#paced = true;
    setImmediate(() => {
      this.#paced = false;
      if (this.#failed) return;
      this.#drain();
      if (this.#readingStopped && !this.#held && !this.#paced) {
        this.#readingStopped = false;
        this.onHeld(false);
      }
    });
  }

  #nextMessage(): unknown {
    const head = this.#head;
    if (head !== NONE) {
      this.#head = NONE;
      return head;
    }
    const sources = this.#sources;
    while (this.#first < sources.length) {
      const source = sources[this.#first]!;
      if (!source.done) {
        const message = source.next();
        this.#bytes = source.lastBytes;
        return message;
      }
      this.#first++;
    }
    // All used up: start over (one read's sources are dropped at once, not shifted one by one).
    this.#sources = [];
    this.#first = 0;
    return NONE;
  }
}
