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
