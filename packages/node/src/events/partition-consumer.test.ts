import { describe, expect, it } from 'vitest';
import { PartitionConsumer, type PartitionConsumerDeps } from './partition-consumer.ts';

/** Only what the constructor reads: the handler's filter and the partitioning. */
const reader = (partitions: number, types: string[], sources: string[], partition = 0) =>
  new PartitionConsumer({
    handler: { module: 'm', name: 'h', types, sources, meta: {} },
    key: 'actor',
    partitions,
    partition,
  } as unknown as PartitionConsumerDeps);

describe('events - a partition reader filters by its buckets where the server can', () => {
  it('with named sources and a count dividing the buckets: raw patterns, its own buckets, and the pages of its sources', () => {
    const r = reader(8, ['>'], ['edx'], 3);
    expect(r.selective).toBe(true);
    expect(r.filterSubjects).toEqual([
      'insights.events.edx.>',
      ...[3, 11, 19, 27, 35, 43, 51, 59].map((b) => `insights.events.~.${b}.*.*.edx.>`),
      'insights.events.=.edx',
    ]);
  });

  it('one partition reads every bucket with one wildcard', () => {
    expect(reader(1, ['tick'], ['s']).filterSubjects).toEqual([
      'insights.events.s.tick',
      'insights.events.~.*.*.*.s.tick',
      'insights.events.=.s',
    ]);
  });

  it('a count that does not divide the buckets, or no source with every type, reads everything in each partition', () => {
    expect(reader(6, ['>'], ['edx']).selective).toBe(false);
    expect(reader(8, ['>'], []).selective).toBe(false);
    expect(reader(8, ['>'], []).filterSubjects).toEqual(['insights.events.*.>']);
    // No source but named types: the raw patterns do not cover the keyed ones.
    expect(reader(8, ['problem_check'], []).selective).toBe(true);
  });
});
