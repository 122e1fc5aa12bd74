/** Update, upsert and replace on the embedded engine, with MongoDB's rules. */
import type { Document, FindOneAndUpdateOptions, ReplaceOptions, UpdateOptions, UpdateResult } from '@insights/sdk';
import { cloneValue, encodeDocument, keyOf } from './codec.ts';
import { findAll, firstMatch, matchingPages } from './embedded-read.ts';
import type { CollectionStore } from './sqlite-store.ts';
import { DbError } from './errors.ts';
import { applyUpdate, compileFilter, type ParsedUpdate } from './mingo-ops.ts';
import { OperationClock, timed, timedPages } from './operation-clock.ts';
import { TimeSlice } from './time-slice.ts';

function isOperatorObject(v: unknown): v is Document {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof RegExp) &&
    Object.keys(v).some((k) => k.startsWith('$'))
  );
}

/** Equality fields of a filter (`f: v`, `f: { $eq: v }`, inside `$and`): an upsert starts from them. */
export function equalityFields(filter: Document, out: Document = {}): Document {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (typeof sub === 'object' && sub !== null) equalityFields(sub as Document, out);
    } else if (k.startsWith('$') || v instanceof RegExp) {
      continue;
    } else if (isOperatorObject(v)) {
      if ('$eq' in v) out[k] = v['$eq'];
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** True when an update uses the positional `$` operator, which needs the filter to resolve. */
export function usesPositional(ops: Document | Document[]): boolean {
  if (Array.isArray(ops)) return false;
  return Object.values(ops).some(
    (fields) => typeof fields === 'object' && fields !== null && Object.keys(fields).some((p) => /\.\$(\.|$)/.test(p)),
  );
}

/** The document an upsert inserts: filter equalities, then the update, then `$setOnInsert`. */
export function upsertDocument(
  filter: Document,
  ops: Document | Document[],
  setOnInsert: Document | undefined,
  arrayFilters: Document[] | undefined,
  ns: string,
): Document {
  const { _id, ...eq } = equalityFields(filter);
  let doc: Document = _id === undefined ? {} : { _id };
  if (Object.keys(eq).length > 0) doc = applyUpdate(doc, { $set: eq }, {}, undefined, ns) ?? doc;
  doc = applyUpdate(doc, ops, {}, arrayFilters, ns) ?? doc;
  if (setOnInsert && Object.keys(setOnInsert).length > 0) {
    doc = applyUpdate(doc, { $set: setOnInsert }, {}, undefined, ns) ?? doc;
  }
  return doc;
}

/** Checks a replacement has no update operators. */
export function checkReplacement(replacement: unknown, ns: string): Document {
  if (typeof replacement !== 'object' || replacement === null || Array.isArray(replacement)) {
    throw new DbError('DB_INVALID_UPDATE', `A replacement for ${ns} must be a document.`, { namespace: ns });
  }
  const op = Object.keys(replacement).find((k) => k.startsWith('$'));
  if (op !== undefined) {
    throw new DbError('DB_INVALID_UPDATE', `Replacement for ${ns} contains the operator ${op}: use updateOne() for operators.`, {
      namespace: ns,
    });
  }
  return replacement as Document;
}

/** The replacement stored over `current`: keeps `_id` first (a different `_id` fails later). */
export function replacementFor(current: Document, replacement: Document): Document {
  const { _id, ...rest } = replacement;
  return { _id: _id === undefined ? current['_id'] : _id, ...rest };
}

/** Waits for every durable promise, then rethrows `err` (writes before a failure still count). */
export async function settleThenThrow(durables: Promise<void>[], err: unknown): Promise<never> {
  await Promise.allSettled(durables);
  throw err;
}

function result(matchedCount: number, modifiedCount: number, upsertedId: unknown): UpdateResult {
  return { acknowledged: true, matchedCount, modifiedCount, upsertedCount: upsertedId === null ? 0 : 1, upsertedId };
}

/**
 * updateOne / updateMany. updateMany collects the matching ids first (an update can move a
 * document forward in the index order being read, and must not meet it twice), then reads each
 * again, so only ids are held meanwhile; updateOne updates the one document it read. updateMany
 * gives the node's event loop back between pages and every few updates (TimeSlice): like
 * MongoDB's, it is atomic per document only, so a document changed meanwhile is matched again
 * before it is updated.
 */
export async function updateDocuments(
  store: CollectionStore,
  filter: Document,
  { ops, setOnInsert }: ParsedUpdate,
  options: UpdateOptions,
  many: boolean,
): Promise<UpdateResult> {
  const condition = usesPositional(ops) ? filter : {};
  const durables: Promise<void>[] = [];
  let matchedCount = 0;
  let modifiedCount = 0;
  /** `current` was just read, so it is ours to change; only its `_id` is kept for an error message. */
  const update = (id: string, current: Document): void => {
    matchedCount++;
    const idBefore = cloneValue(current['_id']);
    const next = applyUpdate(current, ops, condition, options.arrayFilters, store.ns);
    if (next === undefined) return;
    durables.push(store.replace(id, idBefore, next).durable);
    modifiedCount++;
  };
  try {
    if (many) {
      // Given back to the event loop between pages and every 64 updates (TimeSlice), under one clock.
      const clock = new OperationClock(store.ns);
      const slice = new TimeSlice();
      const ids: string[] = [];
      for (const page of timedPages(clock, matchingPages(store, filter))) {
        for (const doc of page) ids.push(keyOf(doc['_id']));
        await slice.pause();
      }
      const matcher = compileFilter(filter, store.ns);
      for (let at = 0; at < ids.length; at += 64) {
        clock.run(() => {
          for (const id of ids.slice(at, at + 64)) {
            const current = store.get(id);
            if (current !== undefined && matcher.test(current)) update(id, current);
          }
        });
        await slice.pause();
      }
    }
    const upsertedId = timed(store.ns, (): unknown => {
      if (!many) for (const current of firstMatch(store, filter)) update(keyOf(current['_id']), current);
      if (matchedCount > 0 || !options.upsert) return null;
      const r = store.insert(upsertDocument(filter, ops, setOnInsert, options.arrayFilters, store.ns));
      durables.push(r.durable);
      return r.result['_id'];
    });
    await Promise.all(durables);
    return result(matchedCount, modifiedCount, upsertedId);
  } catch (err) {
    return settleThenThrow(durables, err);
  }
}

/** replaceOne: keeps `_id`; an identical replacement counts as matched, not modified. */
export async function replaceDocument(
  store: CollectionStore,
  filter: Document,
  doc: Document,
  options: ReplaceOptions,
): Promise<UpdateResult> {
  const [current] = timed(store.ns, () => firstMatch(store, filter));
  if (current === undefined) {
    if (!options.upsert) return result(0, 0, null);
    const id = doc['_id'] ?? equalityFields(filter)['_id'];
    const r = store.insert(id === undefined ? doc : { ...doc, _id: id });
    await r.durable;
    return result(0, 0, r.result['_id']);
  }
  const w = store.replaceIfChanged(keyOf(current['_id']), current['_id'], encodeDocument(replacementFor(current, doc), store.ns));
  await w.durable;
  return result(1, w.result ? 1 : 0, null);
}

/** findOneAndUpdate: returns the document before or after, or null. */
export async function findAndUpdate(
  store: CollectionStore,
  filter: Document,
  { ops, setOnInsert }: ParsedUpdate,
  options: FindOneAndUpdateOptions,
): Promise<Document | null> {
  const [current] = timed(store.ns, () =>
    options.sort ? findAll(store, filter, { sort: options.sort, limit: 1 }) : firstMatch(store, filter),
  );
  let before: Document | null = current ?? null;
  let after: Document | null = before;
  if (current !== undefined) {
    const condition = usesPositional(ops) ? filter : {};
    const next = timed(store.ns, () => applyUpdate(cloneValue(current), ops, condition, options.arrayFilters, store.ns));
    if (next !== undefined) {
      const r = store.replace(keyOf(current['_id']), current['_id'], next);
      after = r.result;
      await r.durable;
    }
  } else if (options.upsert) {
    const r = store.insert(upsertDocument(filter, ops, setOnInsert, options.arrayFilters, store.ns));
    before = null;
    after = r.result;
    await r.durable;
  }
  return options.returnDocument === 'after' ? after : before;
}
