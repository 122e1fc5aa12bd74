import { defineModule, eventHandler, type EventEnvelope } from '@insights/sdk';
import { buildManifest } from '@insights/runtime';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../packages/node/src/events/partition-key.ts';

const event = (actor?: string): EventEnvelope => ({
  id: `e-${actor}`,
  time: '2026-01-05T10:00:00Z',
  source: 'test',
  type: 'tick',
  actor,
  payload: {},
  raw: {},
});

describe('events - partition keys', () => {
  it('one key always lands in one partition, and many keys spread over all of them', () => {
    expect(partitionOf(event('ada'), 'actor', 8)).toBe(partitionOf(event('ada'), 'actor', 8));
    const counts = Array(8).fill(0) as number[];
    for (let i = 0; i < 8000; i++) counts[partitionOf(event(`learner${i}`), 'actor', 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
    // Events without the key share one partition.
    expect(partitionOf(event(undefined), 'actor', 8)).toBe(partitionOf(event(''), 'actor', 8));
  });

  it('a module declaring a partition count that cannot work fails to load, naming the handler', () => {
    const mod = (partitions: number) =>
      defineModule({
        name: 'bad',
        eventHandlers: { h: eventHandler({ partitionBy: 'actor', partitions, handle: () => {} }) },
      });
    expect(() => buildManifest(mod(0))).toThrow(/bad\.h: partitions must be a whole number from 1 to 256, got 0/);
    expect(buildManifest(mod(4)).manifest.analytics[0]?.meta).toMatchObject({ partitionBy: 'actor', partitions: 4 });
  });
});
