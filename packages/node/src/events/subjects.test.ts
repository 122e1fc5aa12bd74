import type { EventEnvelope } from '@insights/sdk';
import { describe, expect, it } from 'vitest';
import { bucketOf, PARTITION_KEYS, partitionBuckets, partitionOf, SUBJECT_BUCKETS } from './partition-key.ts';
import { subjectBucket, subjectFor } from './subjects.ts';

const event = (actor?: string, more: Partial<EventEnvelope> = {}): EventEnvelope => ({
  id: `e-${actor}`,
  time: '2026-01-05T10:00:00Z',
  source: 'edx',
  type: 'problem_check',
  actor,
  payload: {},
  raw: {},
  ...more,
});

describe('events - keyed subjects', () => {
  it('carry one bucket per key before the source and type, which subjectBucket reads back', () => {
    const e = event('ada', { course: 'course-v1:X+Y+Z', resource: 'p1', source: 'ed x', type: 'edx.video.played' });
    const [a, c, r] = PARTITION_KEYS.map((k) => bucketOf(e, k));
    expect(subjectFor(e)).toBe(`insights.events.~.${a}.${c}.${r}.ed_x.edx.video.played`);
    expect(PARTITION_KEYS.map((k) => subjectBucket(subjectFor(e), k))).toEqual([a, c, r]);
  });

  it('a raw subject, or a keyed one with a malformed bucket, has none', () => {
    expect(subjectBucket('insights.events.edx.problem_check', 'actor')).toBeUndefined();
    expect(subjectBucket('insights.events.~.64.0.0.edx.x', 'actor')).toBeUndefined();
    expect(subjectBucket('insights.events.~.x.0.0.edx.x', 'actor')).toBeUndefined();
    expect(subjectBucket('insights.events.~.1.2.63.edx.x', 'resource')).toBe(63);
  });

  it('for every partition count dividing the buckets, a key in bucket b is in partition b modulo the count', () => {
    for (const partitions of [1, 2, 4, 8, 16, 32, 64]) {
      const owner = new Map<number, number>();
      for (let p = 0; p < partitions; p++) for (const b of partitionBuckets(p, partitions)!) owner.set(b, p);
      // Each bucket belongs to exactly one partition.
      expect(owner.size).toBe(SUBJECT_BUCKETS);
      for (let i = 0; i < 2000; i++) {
        const e = event(`learner${i}`);
        expect(owner.get(bucketOf(e, 'actor'))).toBe(partitionOf(e, 'actor', partitions));
      }
    }
  });

  it('a partition count that does not divide the buckets has no bucket filter', () => {
    expect(partitionBuckets(0, 3)).toBeUndefined();
    expect(partitionBuckets(0, 128)).toBeUndefined();
    expect(partitionBuckets(5, 8)).toEqual([5, 13, 21, 29, 37, 45, 53, 61]);
  });
});
