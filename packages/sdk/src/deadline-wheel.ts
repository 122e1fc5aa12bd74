/**
 * Deadlines of many pending calls checked on one coarse interval instead of a timer each:
 * starting and clearing a timer per call shows in profiles of the call path, and a request's
 * deadline only needs to be noticed within a tick (hosts and sandboxes enforce the exact one; this
 * is the backstop when they cannot).
 */
export class DeadlineWheel<T extends { readonly deadline: number }> {
  readonly #live = new Set<T>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs: number,
    private readonly expire: (entry: T) => void,
  ) {}

  add(entry: T): void {
    this.#live.add(entry);
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#tick, this.tickMs);
      this.#timer.unref();
    }
  }

  delete(entry: T): void {
    this.#live.delete(entry);
  }

  readonly #tick = (): void => {
    const now = Date.now();
    for (const entry of this.#live)
      if (entry.deadline <= now) {
        this.#live.delete(entry);
        this.expire(entry);
      }
    if (this.#live.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };
}
