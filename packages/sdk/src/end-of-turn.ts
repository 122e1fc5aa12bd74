/**
 * Runs `flush` once, after the current turn's microtasks, however often `schedule` is called
 * before: what the call stream's two ends use to send one frame per turn of the event loop.
 * (`process.nextTick` from promise code runs once the microtask queue has drained, so every call
 * or result produced in this turn joins, without waiting for the next loop iteration.)
 */
export class EndOfTurn {
  #scheduled = false;

  constructor(private readonly flush: () => void) {}

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
