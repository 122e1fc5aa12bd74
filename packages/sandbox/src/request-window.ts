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
 * Counts a sandbox's module requests in flight on the node, up to `size` of them and `maxBytes`
 * of their channel bytes (a decoded request holds up to tens of times its bytes: channel-limits.ts).
 * A request larger than what is left is let in when none is in flight, so one that fits the
 * channel always runs. Whoever finds no room waits for `onRoom`, called once a slot frees after that.
 */
export class RequestWindow {
  #inFlight = 0;
  #bytes = 0;
  #wasFull = false;

  constructor(
    readonly size: number,
    readonly maxBytes: number,
    private readonly onRoom: () => void,
  ) {}

  /** True if a request of `bytes` fits; false, and `onRoom` is called once one leaves, if not. */
  hasRoom(bytes: number): boolean {
    if (this.fits(bytes)) return true;
    this.#wasFull = true;
    return false;
  }

  /** Whether a request of `bytes` fits now (no waiting: for requests that fail instead). */
  fits(bytes: number): boolean {
    return this.#inFlight < this.size && (this.#inFlight === 0 || this.#bytes + bytes <= this.maxBytes);
  }

  /** Takes a slot and `bytes` (after `hasRoom` or `fits`). */
  take(bytes: number): void {
    this.#inFlight++;
    this.#bytes += bytes;
  }

  /** Gives a slot and its bytes back (the request was answered). */
  release(bytes: number): void {
    this.#inFlight--;
    this.#bytes -= bytes;
    if (this.#wasFull) {
      this.#wasFull = false;
      this.onRoom();
    }
  }
}
