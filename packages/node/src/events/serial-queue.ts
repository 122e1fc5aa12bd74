/**
 * Runs steps one after another in the order they were queued, whatever order their inputs become
 * ready in: concurrent ingests normalise at once but hand their events to JetStream in the order
 * they arrived.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(step);
    // A failed step fails its caller only; the next one still runs.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
