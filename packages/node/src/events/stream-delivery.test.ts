import { APPLIED_CAP } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { streamDelivery } from './stream-delivery.ts';

describe('events - stream delivery for updateOnce', () => {
  it('carries the sequences and the floor', () => {
    expect(streamDelivery([7, 9, 8], 5)).toEqual({ delivery: { seqs: [7, 9, 8], ackFloor: 5 }, behind: 4, pastMemory: false });
  });

  it('a floor trailing the newest event by more than the memory holds is past it', () => {
    expect(streamDelivery([100 + APPLIED_CAP], 100).pastMemory).toBe(false);
    expect(streamDelivery([50, 101 + APPLIED_CAP], 100).pastMemory).toBe(true);
  });

  it('a floor not read yet says nothing', () => {
    expect(streamDelivery([10 * APPLIED_CAP], 0).pastMemory).toBe(false);
  });
});
