/** An entry of the gate's queue; settled entries (deadline passed, cancelled) are skipped. */
export interface GateEntry {
  readonly settled: boolean;
}

/**
 * Bounds a module's concurrent calls: up to `maxRunning` run at once, up to `maxWaiting` more
 * wait in FIFO order, the rest are refused (the host answers RESOURCE_EXHAUSTED). The queue is
 * an array with a moving head, so admitting and releasing allocate nothing per call.
 */
export class CallGate<E extends GateEntry> {
  #running = 0;
  #waiting = 0;
  #queue: (E | undefined)[] = [];
  #head = 0;

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting;
  }

  /** Takes a slot if one is free and nobody waits; false means use `admit` to queue. */
  admitNow(): boolean {
    if (this.#waiting === 0 && this.#running < this.maxRunning) {
      this.#running++;
      return true;
    }
    return false;
  }

  /** Takes a slot ('run'), queues the entry ('queued'), or refuses it ('full'). */
  admit(entry: E, canRun: boolean): 'run' | 'queued' | 'full' {
    if (canRun && this.#waiting === 0 && this.#running < this.maxRunning) {
      this.#running++;
      return 'run';
    }
    if (this.#waiting >= this.maxWaiting) return 'full';
    this.#queue.push(entry);
    this.#waiting++;
    return 'queued';
  }

  /** A queued entry settled before it ran (deadline, cancellation). */
  leftQueue(): void {
    this.#waiting--;
  }

  /** A running entry finished: frees its slot. */
  release(): void {
    this.#running--;
  }

  /** The next waiting entry, with a slot taken for it, or undefined when none can run. */
  next(): E | undefined {
    while (this.#running < this.maxRunning && this.#head < this.#queue.length) {
      const e = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      this.#compact();
      if (e === undefined || e.settled) continue;
      this.#waiting--;
      this.#running++;
      return e;
    }
    return undefined;
  }

  /** Removes and returns every waiting entry (to fail them all). */
  takeWaiting(): E[] {
    const out = this.#queue.slice(this.#head).filter((e): e is E => e !== undefined && !e.settled);
    this.#queue = [];
    this.#head = 0;
    this.#waiting = 0;
    return out;
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
