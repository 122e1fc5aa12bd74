/**
 * Read-modify-write of one document per key, safe under concurrent writers and redelivery.
 *
 * Handlers of the standard analytics keep their state as one document per natural key (a learner
 * and a video, a learner and a problem). The new document is computed from the old one and the
 * new events by a pure function that ignores events it has already applied, so applying a batch
 * twice changes nothing. The write is one `replaceOne` guarded by a revision number, so two
 * replicas updating the same key never lose an update: the loser re-reads and retries.
 */
import type { Collection, Document } from '@insights/sdk';

/** Attempts before giving up under contention; each conflict means another writer made progress. */
export const DEFAULT_MAX_CONFLICT_RETRIES = 50;

/** Unambiguous string id from key parts (course ids contain `/`, `+` and `:`). */
export function docId(parts: readonly string[]): string {
  return JSON.stringify(parts);
}

/** Why an update gave up; the handler throws it so the event is retried later. */
export class KeyedUpdateConflict extends Error {
  override readonly name = 'KeyedUpdateConflict';
  readonly code = 'KEYED_UPDATE_CONFLICT';
  constructor(
    readonly collection: string,
    readonly id: string,
  ) {
    super(`could not update ${collection}/${id}: other writers kept changing it`);
  }
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'DB_DUPLICATE_KEY';
}

/**
 * Replaces the document `id` by `next(current)`; `next` returns null when nothing changes (then
 * nothing is written). `current` is null when the document does not exist yet. Returns whether a
 * write happened. The `_rev` field is reserved for the revision.
 */
export async function updateKeyed<T extends Document>(
  collection: Collection,
  id: string,
  next: (current: T | null) => T | null,
  maxAttempts = DEFAULT_MAX_CONFLICT_RETRIES,
): Promise<boolean> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = await collection.findOne({ _id: id });
    const rev = typeof current?.['_rev'] === 'number' ? (current['_rev'] as number) : 0;
    const updated = next(current === null ? null : (current as unknown as T));
    if (updated === null) return false;
    const doc = { ...updated, _id: id, _rev: rev + 1 };
    if (current === null) {
      try {
        await collection.insertOne(doc);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) continue;
        throw err;
      }
    }
    const r = await collection.replaceOne({ _id: id, _rev: rev }, doc);
    if (r.matchedCount === 1) return true;
  }
  throw new KeyedUpdateConflict(collection.collectionName, id);
}

/** One key's update: the document id and how the new document follows from the current one. */
export type KeyedUpdate<T> = readonly [id: string, next: (current: T | null) => T | null];

/**
 * `updateKeyed` for a whole batch of events: one read of every key's document, then every write
 * issued at once, so a handler's batch costs two crossings to the database (which commits the
 * writes together) instead of two per key, which made handlers in sandboxes crawl at course
 * scale. Several updates of one key are applied in order. A key whose guarded write lost to
 * another writer is retried alone with `updateKeyed`. Returns how many documents were written.
 */
export async function updateKeyedMany<T extends Document>(
  collection: Collection,
  updates: Iterable<KeyedUpdate<T>>,
  maxAttempts = DEFAULT_MAX_CONFLICT_RETRIES,
): Promise<number> {
  const byKey = new Map<string, ((current: T | null) => T | null)[]>();
  for (const [id, next] of updates) {
    const own = byKey.get(id);
    if (own === undefined) byKey.set(id, [next]);
    else own.push(next);
  }
  if (byKey.size === 0) return 0;
  const found = new Map<unknown, Document>();
  for (const d of await collection.find({ _id: { $in: [...byKey.keys()] } }).toArray()) found.set(d['_id'], d);
  const written = await Promise.all(
    [...byKey].map(async ([id, steps]) => {
      const next = composeUpdates(steps);
      const current = found.get(id) ?? null;
      const rev = typeof current?.['_rev'] === 'number' ? (current['_rev'] as number) : 0;
      const updated = next(current === null ? null : (current as unknown as T));
      if (updated === null) return false;
      const doc = { ...updated, _id: id, _rev: rev + 1 };
      try {
        if (current === null) {
          await collection.insertOne(doc);
          return true;
        }
        if ((await collection.replaceOne({ _id: id, _rev: rev }, doc)).matchedCount === 1) return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      return updateKeyed(collection, id, next, maxAttempts);
    }),
  );
  return written.filter(Boolean).length;
}

/** Updates applied one after another; null (nothing changed) when none of them changed anything. */
function composeUpdates<T>(steps: readonly ((current: T | null) => T | null)[]): (current: T | null) => T | null {
  if (steps.length === 1) return steps[0]!;
  return (current) => {
    let doc = current;
    let changed = false;
    for (const step of steps) {
      const r = step(doc);
      if (r !== null) {
        doc = r;
        changed = true;
      }
    }
    return changed ? doc : null;
  };
}
