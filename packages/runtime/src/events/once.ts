import type { Db, Document, Filter, UpdateFilter } from '@insights/sdk';

/** How many recent event ids a document remembers for `updateOnce`. */
export const SEEN_WINDOW = 1000;

/**
 * Applies `update` to the document matching `filter` at most once per event id, in the same
 * write that records the id, so a redelivered event (after a crash, or beyond JetStream's
 * duplicate window) never counts twice. The document is created first if `upsert` is set.
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
  if (options.upsert) await c.updateOne(filter, { $setOnInsert: { _seen: [] } }, { upsert: true });
  const push = { _seen: { $each: [eventId], $slice: -SEEN_WINDOW } };
  const merged: UpdateFilter<Document> = { ...update, $push: { ...((update.$push as object | undefined) ?? {}), ...push } };
  const r = await c.updateOne({ ...filter, _seen: { $ne: eventId } }, merged);
  return r.modifiedCount > 0;
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
