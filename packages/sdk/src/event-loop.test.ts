import { describe, expect, it } from 'vitest';
import type { EventContext } from './context.ts';
import type { EventEnvelope } from './event.ts';
import { eventLoop } from './event-loop.ts';

const ev = (i: number): EventEnvelope => ({
  id: `e${i}`,
  time: '2026-01-01T00:00:00Z',
  source: 't',
  type: 'x',
  payload: i,
  raw: i,
});
const ctx = {} as EventContext;

describe('eventLoop - one sequential consumer', () => {
  it('sees every event in order; a batch settles once the loop has moved past it', async () => {
    const seen: number[] = [];
    const h = eventLoop({
      loop: async (events) => {
        for await (const e of events) seen.push(e.payload as number);
      },
    });
    await h.handle([ev(1), ev(2)], ctx);
    await h.handle([ev(3)], ctx);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('a throw fails the batch (so it is retried) and the loop starts again', async () => {
    let attempts = 0;
    const seen: number[] = [];
    const h = eventLoop({
      loop: async (events) => {
        for await (const e of events) {
          if (e.payload === 2 && attempts++ === 0) throw new Error('boom');
          seen.push(e.payload as number);
        }
      },
    });
    await expect(h.handle([ev(1), ev(2)], ctx)).rejects.toThrow('boom');
    await h.handle([ev(1), ev(2)], ctx);
    expect(seen).toEqual([1, 1, 2]);
  });
});
