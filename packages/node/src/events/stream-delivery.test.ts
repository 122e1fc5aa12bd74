import { APPLIED_CAP, eventPosition, floorPosition } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { streamDelivery } from './stream-delivery.ts';

const singles = (seqs: number[]) => seqs.map((seq) => ({ seq, index: 0 }));

describe('events - stream delivery for updateOnce', () => {
  it('carries each event position and the floor as a position', () => {
    expect(streamDelivery(singles([7, 9, 8]), 5)).toEqual({
      delivery: { seqs: [eventPosition(7), eventPosition(9), eventPosition(8)], ackFloor: floorPosition(5) },
      behind: 4,
      pastMemory: false,
    });
  });

  it("a page's events get one position each, above the floor until their message is acknowledged", () => {
    const { delivery } = streamDelivery(
      [0, 1, 2].map((index) => ({ seq: 6, index })),
      5,
    );
    expect(new Set(delivery.seqs).size).toBe(3);
    for (const p of delivery.seqs) expect(p).toBeGreaterThan(delivery.ackFloor);
    expect(streamDelivery(singles([7]), 6).delivery.ackFloor).toBeGreaterThan(Math.max(...delivery.seqs));
  });

  it('a floor trailing the newest event by more than the memory holds is past it', () => {
    expect(streamDelivery(singles([100 + APPLIED_CAP]), 100).pastMemory).toBe(false);
    expect(streamDelivery(singles([50, 101 + APPLIED_CAP]), 100).pastMemory).toBe(true);
  });

  it('a floor not read yet says nothing', () => {
    expect(streamDelivery(singles([10 * APPLIED_CAP]), 0).pastMemory).toBe(false);
    expect(streamDelivery(singles([3]), 0).delivery.ackFloor).toBe(0);
  });
});
