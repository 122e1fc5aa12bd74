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
}

/**
 * Collects messages during one turn of the event loop and posts them as one batch: one
 * serialisation and one write per turn instead of one per call, which is what makes many small
 * concurrent calls cheap across a process boundary. `setImmediate` (not a microtask) so the
 * batch also gathers messages produced by other I/O callbacks of the same turn. It posts at the
 * end of the turn, not a turn later: the node starts a large gRPC frame's calls in slices of 32
 * per turn (call-stream-server.ts), and a slice that crosses at once keeps the sandbox busy
 * while the node starts the next (waiting a turn to send both as one message measured 31-32k
 * against 47k calls/s in the default configuration, at the same CPU per call; BENCHMARKS.md 3).
 */
export class Outbox<M, B = M> implements MessageSink<M> {
  #queue: M[] = [];
  /** An immediate is pending (it posts whatever is queued when it runs). */
  #scheduled = false;
  readonly #post: (batch: B[]) => void;
  readonly #pack: (queue: M[]) => B[];

  constructor(post: (batch: B[]) => void, options: OutboxOptions<M, B> = {}) {
    this.#post = post;
    this.#pack = options.pack ?? ((queue) => queue as unknown as B[]);
  }

  /** Queues `message`, posted at the end of this turn (at once when the batch is full). */
  push(message: M): void {
    this.#queue.push(message);
    if (this.#queue.length >= MAX_BATCH) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#turnEnded);
    }
  }

  readonly #turnEnded = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Posts what is queued now (also called before exiting). */
  readonly flush = (): void => {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
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
