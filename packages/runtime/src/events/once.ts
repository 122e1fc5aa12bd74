import type { Db, Document, EventEnvelope, Filter, UpdateFilter } from '@insights/sdk';
import { PAGE_SLOTS } from './stream-position.ts';

/** How many recent event ids a document remembers for `updateOnce` when events come without a stream position (local mode). */
export const SEEN_WINDOW = 500;
/**
 * A hard bound on each half of a handler's stream memory in one document. Only reached when the
 * consumer's ack floor stops moving (a replica gone while holding events, for longer than it
 * takes to apply this many events to the document); the node counts and warns then.
 */
export const APPLIED_CAP = 20_000;
/**
 * Positions (stream-position.ts) alternate between a document's two halves of memory every this
 * many: every 16 stored messages, 16 single events or up to 16 pages (8,000 events, well inside
 * APPLIED_CAP per half).
 */
const HALF_POSITIONS = 16 * PAGE_SLOTS;

/**
 * Where a batch of events came from: each event's position in the stream (`eventPosition`: its
 * message's sequence and its index in a page), and the consumer's ack floor as the node last read
 * it (`floorPosition`).
 */
export interface StreamDelivery {
  readonly seqs: readonly number[];
  readonly ackFloor: number;
}

/** One event's place in its handler's consumer, for `updateOnce` (positions, as in StreamDelivery). */
export interface StreamPosition {
  readonly handler: string;
  readonly seq: number;
  readonly ackFloor: number;
}

/**
 * Each event's position for `updateOnce`, looked up by id: the module passes back the envelope it
 * was given (or a copy), never a position of its own. Undefined for all without a delivery.
 */
export function streamPositions(
  handler: string,
  events: readonly EventEnvelope[],
  delivery: StreamDelivery | undefined,
): (e: EventEnvelope) => StreamPosition | undefined {
  if (delivery === undefined || delivery.seqs.length !== events.length) return () => undefined;
  const seqs = new Map<string, number>();
  events.forEach((e, i) => seqs.set(e.id, delivery.seqs[i] as number));
  return (e) => {
    const seq = seqs.get(e.id);
    return seq === undefined ? undefined : { handler, seq, ackFloor: delivery.ackFloor };
  };
}

interface Memory {
  readonly guard: Filter<Document>;
  readonly push: Document;
  readonly pull?: Document;
}

/** Without a stream position: the document's last SEEN_WINDOW event ids. */
function idMemory(eventId: string): Memory {
  return { guard: { _seen: { $ne: eventId } }, push: { _seen: { $each: [eventId], $slice: -SEEN_WINDOW } } };
}

/**
 * With one: the handler's events above its consumer's ack floor, by stream position. Only those
 * can be delivered again, so that is exactly what must be remembered, however many events the
 * document took meanwhile. The entries go in two arrays, alternating every HALF_POSITIONS positions:
 * each write adds to its own half and drops what the floor has passed from the other (MongoDB
 * refuses a `$push` and a `$pull` on one path in the same update), so the update stays one write.
 * A stale floor only keeps more. Ids in `_seen` (written before, or in local mode) still count.
 */
function seqMemory(eventId: string, at: StreamPosition): Memory {
  // Handler names are not field names: encode so no name reaches another's path or an operator.
  const base = `_applied.${encodeURIComponent(at.handler).replace(/\./g, '%2E')}`;
  const odd = Math.floor(at.seq / HALF_POSITIONS) % 2 === 1;
  const own = `${base}.${odd ? 'b' : 'a'}`;
  const other = `${base}.${odd ? 'a' : 'b'}`;
  return {
    guard: { [own]: { $ne: at.seq }, _seen: { $ne: eventId } },
    push: { [own]: { $each: [at.seq], $slice: -APPLIED_CAP } },
    ...(at.ackFloor > 0 ? { pull: { [other]: { $lte: at.ackFloor } } } : {}),
  };
}

/**
 * Applies `update` to the document matching `filter` at most once per event, in the same write
 * that records the event (see EventContext.updateOnce). With `at` (events read from JetStream)
 * the document remembers every event of the handler that can still come back; without, its last
 * SEEN_WINDOW ids. The document is created first if `upsert` is set.
 */
export async function updateOnce(
  db: Db,
  collection: string,
  eventId: string,
  filter: Filter<Document>,
  update: UpdateFilter<Document>,
  options: { upsert?: boolean } = {},
  at?: StreamPosition,
): Promise<boolean> {
  const c = db.collection(collection);
  const memory = at === undefined ? idMemory(eventId) : seqMemory(eventId, at);
  const merged: UpdateFilter<Document> = {
    ...update,
    $push: { ...((update.$push as object | undefined) ?? {}), ...memory.push },
    ...(memory.pull === undefined ? {} : { $pull: { ...((update.$pull as object | undefined) ?? {}), ...memory.pull } }),
  };
  const guarded = { ...filter, ...memory.guard };
  // The common case is one write: the document exists and has not seen this event.
  const r = await c.updateOne(guarded, merged);
  if (r.matchedCount > 0 || !options.upsert) return r.modifiedCount > 0;
  // Nothing matched: the document is missing, or it has seen this event already.
  if ((await c.findOne(filter, { projection: { _id: 1 } })) !== null) return false;
  await c.updateOne(filter, { $setOnInsert: { _seen: [] } }, { upsert: true });
  return (await c.updateOne(guarded, merged)).modifiedCount > 0;
}

/**
 * Runs `fn` once per (handler, event id): records the id after `fn` succeeds. A crash between
 * the two re-runs `fn` on redelivery, so prefer `updateOnce` for counters.
 */
export async function once(db: Db, handler: string, eventId: string, fn: () => Promise<void> | void): Promise<boolean> {
  const seen = db.collection(`_insights_once_${handler}`);
  if ((await seen.findOne({ _id: eventId })) !== null) return false;
  await fn();
  await seen.updateOne({ _id: eventId }, { $set: { at: new Date() } }, { upsert: true });
  return true;
}
