/**
 * One number per event read from JetStream, for `updateOnce` and anything else that remembers
 * events by their place in a consumer. A stored message holds one event or a page of up to
 * PAGE_SLOTS of them (node events/event-page.ts), so an event is at (stream sequence, index in
 * its message): it maps to `seq * PAGE_SLOTS + index`, and a consumer's ack floor (every message
 * at or below it acknowledged) to the last slot of its message, so every event of an
 * acknowledged page lies at or below it.
 */
export const PAGE_SLOTS = 512;

/** The position of the `index`th event of the message at stream sequence `seq` (0 for a message of one). */
export function eventPosition(seq: number, index = 0): number {
  return seq * PAGE_SLOTS + index;
}

/** The position of an ack floor given as a stream sequence (0: not read yet, stays 0). */
export function floorPosition(ackFloor: number): number {
  return ackFloor <= 0 ? 0 : ackFloor * PAGE_SLOTS + PAGE_SLOTS - 1;
}
