import { APPLIED_CAP, type StreamDelivery } from '@insights/runtime';

/**
 * What `updateOnce` needs of a batch read from a consumer: each event's stream sequence and the
 * consumer's ack floor as last read (0: not read yet). `pastMemory` when the floor trails the
 * newest event by more than a handler's memory holds (APPLIED_CAP): a reader gone with events
 * unacknowledged for that long, whose events may then apply twice when they come back.
 */
export function streamDelivery(
  seqs: readonly number[],
  ackFloor: number,
): { delivery: StreamDelivery; behind: number; pastMemory: boolean } {
  const behind = seqs.reduce((a, b) => Math.max(a, b), 0) - ackFloor;
  return { delivery: { seqs, ackFloor }, behind, pastMemory: ackFloor > 0 && behind > APPLIED_CAP };
}
