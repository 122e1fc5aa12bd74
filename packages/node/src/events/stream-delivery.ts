import { APPLIED_CAP, eventPosition, floorPosition, type StreamDelivery } from '@insights/runtime';

/** Where an event was read: its message's stream sequence and its index in it (0 unless a page). */
export interface EventAt {
  readonly seq: number;
  readonly index: number;
}

/**
 * What `updateOnce` needs of a batch read from a consumer: each event's position (its message's
 * sequence and its index in a page, as one number: eventPosition) and the consumer's ack floor as
 * last read (0: not read yet), as a position covering every event of its message.
 * `pastMemory` when the floor trails the newest message by more than a handler's memory holds
 * (APPLIED_CAP): a reader gone with events unacknowledged for that long, whose events may then
 * apply twice when they come back. Counted in messages, so a stream of pages warns late.
 */
export function streamDelivery(
  at: readonly EventAt[],
  ackFloor: number,
): { delivery: StreamDelivery; behind: number; pastMemory: boolean } {
  const behind = at.reduce((a, b) => Math.max(a, b.seq), 0) - ackFloor;
  return {
    delivery: { seqs: at.map((a) => eventPosition(a.seq, a.index)), ackFloor: floorPosition(ackFloor) },
    behind,
    pastMemory: ackFloor > 0 && behind > APPLIED_CAP,
  };
}
