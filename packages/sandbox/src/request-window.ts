/**
 * Module requests (ctx.db, ctx.sql, ctx.emit, ...) one sandbox may have in flight on the node.
 * The standard analytics issue one write per key of an event batch at once (`updateKeyedMany`:
 * up to 500), so a module handling two batches at once stays below it; past it a module's
 * requests wait (the node stops reading its channel) rather than fail, so a module issuing
 * hundreds of thousands at once is slowed to the node's pace, and the node holds at most this
 * many of its requests, whatever the module writes on its channel.
 */
export const MAX_MODULE_REQUESTS_IN_FLIGHT = 1024;

/**
 * Counts a sandbox's module requests in flight on the node, up to `size`. Whoever finds no room
 * waits for `onRoom`, called once a slot frees after that.
 */
export class RequestWindow {
  #inFlight = 0;
  #wasFull = false;

  constructor(
    readonly size: number,
    private readonly onRoom: () => void,
  ) {}

  /** True if a slot is free; false, and `onRoom` is called once one frees, if none is. */
  hasRoom(): boolean {
    if (this.#inFlight < this.size) return true;
    this.#wasFull = true;
    return false;
  }

  /** Takes a slot (after `hasRoom`). */
  take(): void {
    this.#inFlight++;
  }

  /** Gives a slot back (the request was answered). */
  release(): void {
    this.#inFlight--;
    if (this.#wasFull) {
      this.#wasFull = false;
      this.onRoom();
    }
  }
}
