import type { Db, Document, Filter, UpdateFilter } from '@insights/sdk';

/** How many recent event ids a document remembers for `updateOnce`. */
export const SEEN_WINDOW = 500;

/**
 * Applies `update` to the document matching `filter` at most once per event id, in the same
 * write that records the id. The window is the document's last SEEN_WINDOW ids: a redelivery
 * older than that applies again (see EventContext.updateOnce). The document is created first if
 * `upsert` is set.
 */
export async function updateOnce(
  db: Db,
  collection: string,
  eventId: string,
  filter: Filter<Document>,
  update: UpdateFilter<Document>,
  options: { upsert?: boolean } = {},
): Promise<boolean> {
  const c = db.collection(collection);
  const push = { _seen: { $each: [eventId], $slice: -SEEN_WINDOW } };
  const merged: UpdateFilter<Document> = { ...update, $push: { ...((update.$push as object | undefined) ?? {}), ...push } };
  const guarded = { ...filter, _seen: { $ne: eventId } };
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
