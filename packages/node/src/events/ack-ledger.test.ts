import type { JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it, vi } from 'vitest';
import { AckLedger } from './ack-ledger.ts';

/** Only consumers.info is read: the ack floor of each durable. */
const fakeJsm = (floors: Record<string, number>) =>
  ({
    consumers: { info: async (_stream: string, durable: string) => ({ ack_floor: { stream_seq: floors[durable] ?? 0 } }) },
  }) as unknown as JetStreamManager;

describe('AckLedger', () => {
  it('remembers handled sequences until every durable of the handler has acknowledged past them', async () => {
    vi.useFakeTimers();
    try {
      const floors = { p0: 0, p1: 0 };
      const ledger = new AckLedger(fakeJsm(floors), 'S', () => ['p0', 'p1']);
      for (const seq of [3, 5, 8]) ledger.record(seq);
      expect([3, 4, 5, 8].map((s) => ledger.handled(s))).toEqual([true, false, true, true]);
      // One partition is behind: the lowest floor decides.
      Object.assign(floors, { p0: 6, p1: 4 });
      await vi.advanceTimersByTimeAsync(2_100);
      expect([3, 5, 8].map((s) => ledger.handled(s))).toEqual([false, true, true]);
      expect(ledger.size).toBe(2);
      Object.assign(floors, { p0: 9, p1: 9 });
      await vi.advanceTimersByTimeAsync(2_100);
      expect(ledger.size).toBe(0);
      // At or below the floor nothing is recorded: JetStream will not send it again.
      ledger.record(6);
      expect(ledger.handled(6)).toBe(false);
      ledger.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
