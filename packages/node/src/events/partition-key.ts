import type { EventEnvelope } from '@insights/sdk';

export type PartitionKey = 'actor' | 'course' | 'resource';

/** The keys a handler may partition by, in the order their bucket tokens stand in an event's subject. */
export const PARTITION_KEYS: readonly PartitionKey[] = ['actor', 'course', 'resource'];

/** Partitions of a handler that declares `partitionBy` but not how many. */
export const DEFAULT_PARTITIONS = 8;

/**
 * Buckets per key in an event's subject (subjects.ts). Fixed for good: events already stored
 * carry them. A power of two, so that for any partition count dividing it the partition is the
 * bucket modulo the count (partitionBuckets), and partitionOf never changes for those counts.
 */
export const SUBJECT_BUCKETS = 64;

/** FNV-1a of a key's value, so every node computes the same answer without talking. Missing keys hash as ''. */
function keyHash(e: EventEnvelope, key: PartitionKey): number {
  const v = e[key] ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < v.length; i++) {
    h ^= v.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Which partition an event belongs to. Events without the key all fall in the partition of the empty string. */
export function partitionOf(e: EventEnvelope, key: PartitionKey, partitions: number): number {
  return keyHash(e, key) % partitions;
}

/** The bucket of an event's key, as its subject carries it. */
export function bucketOf(e: EventEnvelope, key: PartitionKey): number {
  return keyHash(e, key) % SUBJECT_BUCKETS;
}

/**
 * The buckets whose events are exactly one partition's: those equal to it modulo the partition
 * count (then `partitionOf(e) === bucketOf(e) % partitions`). Undefined when the count does not
 * divide SUBJECT_BUCKETS: a bucket would then hold keys of several partitions.
 */
export function partitionBuckets(partition: number, partitions: number): number[] | undefined {
  if (SUBJECT_BUCKETS % partitions !== 0) return undefined;
  return Array.from({ length: SUBJECT_BUCKETS / partitions }, (_, i) => partition + i * partitions);
}
