/**
 * A token bucket for log records: `perSecond` records a second on average, bursts up to one
 * second's worth. Dropped records are counted so the owner can say how many were lost.
 */
export class LogRateLimiter {
  #tokens: number;
  #last = performance.now();
  #dropped = 0;

  constructor(private readonly perSecond: number) {
    this.#tokens = perSecond;
  }

  /** True if one more record may be written now. */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.perSecond, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#dropped++;
    return false;
  }

  /** Records dropped since the last call. */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }
}
