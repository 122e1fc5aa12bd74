import type { EventEnvelope } from '@insights/sdk';

export type PartitionKey = 'actor' | 'course' | 'resource';

/** Partitions of a handler that declares `partitionBy` but not how many. */
export const DEFAULT_PARTITIONS = 8;

/**
 * Which partition an event belongs to: FNV-1a of its key, so every replica computes the same
 * answer without talking. Events without the key all fall in the partition of the empty string.
 */
export function partitionOf(e: EventEnvelope, key: PartitionKey, partitions: number): number {
  const v = e[key] ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < v.length; i++) {
    h ^= v.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
