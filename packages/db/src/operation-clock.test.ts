import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { checkActiveClock, OperationClock, timed } from './operation-clock.ts';

/** Busy for `ms`, asking the running clock as deep loops do. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) checkActiveClock();
}

describe('operation clock', () => {
  it("clock - an operation's stretches add up to its limit; the time between them does not count", async () => {
    const clock = new OperationClock('db.c', 100);
    clock.run(() => spin(40));
    await new Promise((r) => setTimeout(r, 150)); // a cursor nobody read for a while
    clock.run(() => spin(40));
    expect(() => clock.run(() => spin(1000))).toThrow(
      expect.objectContaining({
        code: 'DB_TIMEOUT',
        message: expect.stringMatching(/^An operation on db\.c ran for more than 0\.1 s of the node's time \(MAX_RUN_MS\)/),
      }),
    );
  });

  it('clock - a nested operation runs on the clock of the one running, and none is left running after', () => {
    const outer = new OperationClock('db.c', 50);
    expect(() => outer.run(() => timed('db.d', () => spin(1000)))).toThrow(expect.objectContaining({ code: 'DB_TIMEOUT' }));
    expect(() => spin(5)).not.toThrow();
  });

  it("clock - an operation running while the node's heap is nearly full is stopped with DB_NODE_MEMORY", () => {
    const full = new OperationClock('db.c', 60_000, 1); // any heap is over one byte
    expect(() => full.run(() => spin(1000))).toThrow(
      expect.objectContaining({
        code: 'DB_NODE_MEMORY',
        message: expect.stringMatching(
          /^An operation on db\.c was stopped: the node's heap holds \d+ MiB, over 75% of its limit/,
        ),
      }),
    );
    expect(() => new OperationClock('db.c').run(() => spin(20))).not.toThrow();
  });
});
