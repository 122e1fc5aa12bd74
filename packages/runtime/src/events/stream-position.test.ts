import { describe, expect, it } from 'vitest';
import { eventPosition, floorPosition, PAGE_SLOTS } from './stream-position.ts';

describe('events - one position per event in a stream of single messages and pages', () => {
  it('orders events by message, then by index within a page, without two events sharing a position', () => {
    const seen = new Set<number>();
    let last = -1;
    for (let seq = 1; seq <= 4; seq++)
      for (let i = 0; i < PAGE_SLOTS; i++) {
        const p = eventPosition(seq, i);
        expect(p).toBeGreaterThan(last);
        seen.add(p);
        last = p;
      }
    expect(seen.size).toBe(4 * PAGE_SLOTS);
    expect(eventPosition(7)).toBe(eventPosition(7, 0));
  });

  it('an ack floor covers every event of its message and none of the next', () => {
    expect(floorPosition(0)).toBe(0);
    expect(floorPosition(5)).toBeGreaterThanOrEqual(eventPosition(5, PAGE_SLOTS - 1));
    expect(floorPosition(5)).toBeLessThan(eventPosition(6, 0));
  });

  it('stays an exact integer for any sequence a stream reaches', () => {
    const seq = 2 ** 40;
    expect(Number.isSafeInteger(eventPosition(seq, PAGE_SLOTS - 1))).toBe(true);
    expect(floorPosition(seq)).toBe(eventPosition(seq, PAGE_SLOTS - 1));
  });
});
