/**
 * A batch this long is posted at once, not at the end of the turn: the other side starts on it
 * while this side produces the rest, so the two overlap instead of taking turns.
 */
const MAX_BATCH = 64;

/** Where messages are queued (what code that only sends needs of an Outbox). */
export interface MessageSink<M> {
  push(message: M): void;
}

export interface OutboxOptions<M, B> {
  /** Turns the queue into what is posted (packed.ts: runs of calls or results become one buffer). */
  readonly pack?: ((queue: M[]) => B[]) | undefined;
  /**
   * Waits one more turn before posting what is queued. The node starts the calls of a large
   * gRPC frame over consecutive turns (call-stream-server.ts); waiting a turn lets them cross in
   * one message. Each message costs both sides a wake-up, which on our 2-core VMs costs more
   * than the calls themselves (about 100 µs of CPU per side and round trip for a process,
   * 30 µs for a worker, against a few µs per echo call).
   */
  readonly extraTurn?: boolean | undefined;
}

/**
 * Collects messages during one turn of the event loop and posts them as one batch: one
 * serialisation and one write per turn instead of one per call, which is what makes many small
 * concurrent calls cheap across a process boundary. `setImmediate` (not a microtask) so the
 * batch also gathers messages produced by other I/O callbacks of the same turn.
 */
export class Outbox<M, B = M> implements MessageSink<M> {
  #queue: M[] = [];
  /** An immediate is pending (it posts whatever is queued when it runs). */
  #scheduled = false;
  #waited = false;
  /** Something queued is awaited by a caller that has nothing else to send: no extra turn. */
  #urgent = false;
  readonly #post: (batch: B[]) => void;
  readonly #pack: (queue: M[]) => B[];
  readonly #extraTurn: boolean;

  constructor(post: (batch: B[]) => void, options: OutboxOptions<M, B> = {}) {
    this.#post = post;
    this.#pack = options.pack ?? ((queue) => queue as unknown as B[]);
    this.#extraTurn = options.extraTurn === true;
  }

  /** Queues `message`; `urgent` posts it at the end of this turn even with `extraTurn`. */
  push(message: M, urgent = false): void {
    this.#queue.push(message);
    if (urgent) this.#urgent = true;
    if (this.#queue.length >= MAX_BATCH) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#turnEnded);
    }
  }

  readonly #turnEnded = (): void => {
    if (this.#extraTurn && !this.#waited && !this.#urgent && this.#queue.length > 0) {
      this.#waited = true;
      setImmediate(this.#turnEnded);
      return;
    }
    this.#waited = false;
    this.#scheduled = false;
    this.flush();
  };

  /** Posts what is queued now (also called before exiting). */
  readonly flush = (): void => {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#urgent = false;
    this.#post(this.#pack(batch));
  };

  /** Drops what is queued (the other side is gone). */
  clear(): void {
    this.#queue = [];
  }
}

/**
 * Posts a batch; if one message cannot be cloned (a result holding a function, say), posts the
 * others one by one and turns each bad answer into an INTERNAL error for whoever waits on it.
 */
export function postSafely<M>(batch: M[], post: (b: M[]) => void): void {
  try {
    post(batch);
    return;
  } catch {
    // fall through: find the culprit
  }
  for (const m of batch) {
    try {
      post([m]);
    } catch (e) {
      const id = (m as { id?: unknown }).id;
      if ((m as { type?: unknown }).type === 'done' && typeof id === 'number')
        post([
          {
            type: 'failed',
            id,
            error: { code: 'INTERNAL', message: `the result cannot be sent: ${(e as Error).message}` },
          } as unknown as M,
        ]);
    }
  }
}
