/**
 * A batch this long is posted at once, not at the end of the turn: the other side starts on it
 * while this side produces the rest, so the two overlap instead of taking turns.
 */
const MAX_BATCH = 64;

/**
 * Collects messages during one turn of the event loop and posts them as one batch: one
 * serialisation and one write per turn instead of one per call, which is what makes many small
 * concurrent calls cheap across a process boundary. `setImmediate` (not a microtask) so the
 * batch also gathers messages produced by other I/O callbacks of the same turn.
 */
export class Outbox<M> {
  #queue: M[] = [];
  #scheduled = false;
  readonly #post: (batch: M[]) => void;

  constructor(post: (batch: M[]) => void) {
    this.#post = post;
  }

  push(message: M): void {
    this.#queue.push(message);
    if (this.#queue.length >= MAX_BATCH) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Posts what is queued now (also called before exiting). */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#post(batch);
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
export function postSafely<M extends { type: string }>(batch: M[], post: (b: M[]) => void): void {
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
      if (m.type === 'done' && typeof id === 'number')
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
