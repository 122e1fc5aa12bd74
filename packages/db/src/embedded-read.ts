/**
 * Query execution over a collection: the planner's SQL narrows the rows (through an index when
 * one applies), mingo matches each row while they stream in pages, then sort, skip and limit.
 * Only a sort no index can answer holds the matches in memory (as MongoDB's in-memory sort does).
 */
import type { Document, Sort } from '@insights/sdk';
import { compare } from 'mingo/util';
import { cloneValue, keyOf } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import type { FindSpec } from './embedded-cursor.ts';
import { DbError } from './errors.ts';
import { compileFilter, sortDocuments, type Matcher } from './mingo-ops.ts';
import { checkActiveClock } from './operation-clock.ts';
import type { SqlPlan } from './sqlite-planner.ts';
import type { CollectionStore } from './sqlite-store.ts';

/**
 * The most a sort no index can answer may hold, in bytes of matched documents (MongoDB's
 * blocking-sort limit is 100 MB; the embedded engine runs inside the node, next to every other
 * module). A sort with a limit keeps only the best `skip + limit` documents, whatever the data size.
 */
export const MAX_SORT_BYTES = 32 * 1024 * 1024;

/** Matching documents, streamed in natural (or index) order. */
export function* matching(store: CollectionStore, filter: Document): Generator<Document> {
  for (const page of matchingPages(store, filter)) yield* page;
}

/** Matching documents a store page at a time (a page may be empty). */
export function* matchingPages(store: CollectionStore, filter: Document): Generator<Document[]> {
  // Compiling also validates the filter, so do it before looking at the table.
  const matcher = compileFilter(filter, store.ns);
  for (const page of store.pages(store.plan(filter ?? {}))) {
    checkActiveClock();
    yield page.filter((doc) => matcher.test(doc));
  }
}

/** The first matching documents (at most `max`). */
export function matchSome(store: CollectionStore, filter: Document, max: number): Document[] {
  const out: Document[] = [];
  if (max <= 0) return out;
  for (const doc of matching(store, filter)) {
    out.push(doc);
    if (out.length >= max) break;
  }
  return out;
}

export function firstMatch(store: CollectionStore, filter: Document): Document[] {
  return matchSome(store, filter, 1);
}

/** `find` semantics, in pages: streamed unless a sort needs every match first. */
export function* findPages(store: CollectionStore, filter: Document, spec: FindSpec): Generator<Document[]> {
  const skip = spec.skip ?? 0;
  const limit = spec.limit ? spec.limit : Infinity;
  const sort = spec.sort !== undefined && Object.keys(spec.sort).length > 0 ? spec.sort : undefined;
  const matcher = compileFilter(filter, store.ns);
  const plan = store.plan(filter ?? {}, sort);
  if (sort !== undefined && plan.sortSql === undefined) {
    yield* sortInMemory(store, plan, matcher, sort, skip, limit);
    return;
  }
  let skipped = 0;
  let taken = 0;
  for (const page of store.pages(plan)) {
    checkActiveClock();
    const out: Document[] = [];
    for (const doc of page) {
      if (!matcher.test(doc)) continue;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      out.push(doc);
      if (++taken >= limit) break;
    }
    // Empty pages too: a selective filter may scan many rows between matches (see TimeSlice).
    yield out;
    if (taken >= limit) return;
  }
}

/**
 * A sort no index answers: the matches are buffered, but with a limit the buffer is cut back to
 * the best `skip + limit` whenever it doubles (a stable sort of the kept ones, which came first,
 * and the new ones gives the same order as one sort of everything). Without a limit, a buffer over
 * MAX_SORT_BYTES is refused with a code that says what to do.
 */
function* sortInMemory(
  store: CollectionStore,
  plan: SqlPlan,
  matcher: Matcher,
  sort: Sort,
  skip: number,
  limit: number,
): Generator<Document[]> {
  const keep = skip + limit;
  const cutAt = Math.max(2 * keep, 1000);
  let buffer: Document[] = [];
  const sizes = new WeakMap<Document, number>();
  let bytes = 0;
  for (const page of store.pages(plan)) {
    yield []; // a turn of the event loop may come here (see TimeSlice)
    checkActiveClock();
    for (const doc of page) {
      if (!matcher.test(doc)) continue;
      const size = JSON.stringify(doc).length;
      buffer.push(doc);
      sizes.set(doc, size);
      bytes += size;
      if (buffer.length >= cutAt) {
        buffer = sortDocuments(buffer, sort, store.ns).slice(0, keep);
        bytes = buffer.reduce((sum, d) => sum + (sizes.get(d) ?? 0), 0);
      }
      if (bytes > MAX_SORT_BYTES)
        throw new DbError(
          'DB_SORT_TOO_LARGE',
          `Sorting ${store.ns} by ${Object.keys(sort).join(', ')} needs more than ${MAX_SORT_BYTES / 1024 / 1024} MiB in memory: ` +
            'create an index on the sort field (createIndex), add a limit, or narrow the filter.',
          { namespace: store.ns },
        );
    }
  }
  yield sortDocuments(buffer, sort, store.ns).slice(skip, keep);
}

/** `find` results as one array. */
export function findAll(store: CollectionStore, filter: Document, spec: FindSpec): Document[] {
  return [...findPages(store, filter, spec)].flat();
}

/** Distinct values of a field over documents (array values contribute elements), sorted. */
export function distinctValues(docs: Iterable<Document>, key: string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const doc of docs) {
    for (const v of valuesAtPath(doc, key)) {
      const k = keyOf(v);
      if (v !== undefined && !seen.has(k)) seen.set(k, v);
    }
  }
  return [...seen.values()].sort(compare).map(cloneValue);
}
