/**
 * Query execution over a collection: the planner's SQL narrows the rows (through an index when
 * one applies), mingo matches each row while they stream in pages, then sort, skip and limit.
 * Only a sort no index can answer holds the matches in memory (as MongoDB's in-memory sort does).
 */
import type { Document } from '@insights/sdk';
import { compare } from 'mingo/util';
import { cloneValue, keyOf } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import type { FindSpec } from './embedded-cursor.ts';
import { compileFilter, sortDocuments } from './mingo-ops.ts';
import type { CollectionStore } from './sqlite-store.ts';

/** Matching documents, streamed in natural (or index) order. */
export function* matching(store: CollectionStore, filter: Document): Generator<Document> {
  // Compiling also validates the filter, so do it before looking at the table.
  const matcher = compileFilter(filter, store.ns);
  for (const page of store.pages(store.plan(filter ?? {}))) {
    for (const doc of page) if (matcher.test(doc)) yield doc;
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
    const all: Document[] = [];
    for (const page of store.pages(plan)) for (const doc of page) if (matcher.test(doc)) all.push(doc);
    yield sortDocuments(all, sort, store.ns).slice(skip, skip + limit);
    return;
  }
  let skipped = 0;
  let taken = 0;
  for (const page of store.pages(plan)) {
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
    if (out.length > 0) yield out;
    if (taken >= limit) return;
  }
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
