export const BREAKER_FAILURE_THRESHOLD = 3;
export const BREAKER_OPEN_MS = 5_000;

/**
 * Skips a replica that keeps failing: after `threshold` consecutive transport failures it is
 * "open" (skipped) for `openMs`, then one call may try it again ("half-open").
 */
export class CircuitBreaker {
  #failures = 0;
  #openUntil = 0;

  constructor(
    private readonly threshold = BREAKER_FAILURE_THRESHOLD,
    private readonly openMs = BREAKER_OPEN_MS,
  ) {}

  get isOpen(): boolean {
    return this.#openUntil > Date.now();
  }

  success(): void {
    this.#failures = 0;
    this.#openUntil = 0;
  }

  failure(): void {
    if (++this.#failures >= this.threshold) this.#openUntil = Date.now() + this.openMs;
  }
}
