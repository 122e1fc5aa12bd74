/**
 * Query execution over a store: plan (id map, index or scan), match, sort, skip, limit. Returns
 * references to stored documents; callers copy what they hand out.
 */
import type { Document } from '@insights/sdk';
import { compare } from 'mingo/util';
import { cloneValue, keyOf } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import type { FindSpec } from './embedded-cursor.ts';
import { plan, type Plan } from './embedded-planner.ts';
import type { CollectionStore } from './embedded-store.ts';
import { compileFilter, sortDocuments } from './mingo-ops.ts';

function* candidates(store: CollectionStore, p: Plan): Generator<Document> {
  if (p.source === 'scan' || p.keys === undefined) {
    yield* store.docs.values();
    return;
  }
  if (p.source === 'id') {
    for (const k of p.keys) {
      const doc = store.docs.get(k);
      if (doc !== undefined) yield doc;
    }
    return;
  }
  const index = p.index;
  if (index === undefined) return;
  // Several keys (`$in`, multikey) can reach one document: yield it once.
  const seen = p.keys.length > 1 ? new Set<string>() : undefined;
  for (const k of p.keys) {
    for (const idKey of index.lookup(k) ?? []) {
      if (seen) {
        if (seen.has(idKey)) continue;
        seen.add(idKey);
      }
      const doc = store.docs.get(idKey);
      if (doc !== undefined) yield doc;
    }
  }
}

/** Matching documents in natural (or index) order, stopping after `max`. */
export function matchRefs(store: CollectionStore, filter: Document, max = Infinity): Document[] {
  const out: Document[] = [];
  if (max <= 0) return out;
  const p = plan(filter, store.indexes.values());
  // An exact plan needs no matcher; compiling also validates the filter, so do it otherwise.
  const matcher = p.exact ? undefined : compileFilter(filter, store.ns);
  for (const doc of candidates(store, p)) {
    if (matcher && !matcher.test(doc)) continue;
    out.push(doc);
    if (out.length >= max) break;
  }
  return out;
}

export function firstMatch(store: CollectionStore, filter: Document): Document[] {
  return matchRefs(store, filter, 1);
}

/** `find` semantics: without a sort, stops reading once skip + limit documents matched. */
export function findRefs(store: CollectionStore, filter: Document, spec: FindSpec): Document[] {
  const skip = spec.skip ?? 0;
  const limit = spec.limit ? spec.limit : Infinity;
  const hasSort = spec.sort !== undefined && Object.keys(spec.sort).length > 0;
  let refs = matchRefs(store, filter, hasSort ? Infinity : skip + limit);
  if (hasSort) refs = sortDocuments(refs, spec.sort ?? {}, store.ns);
  return skip === 0 && refs.length <= limit ? refs : refs.slice(skip, skip + limit);
}

/** Distinct values of a field over documents (array values contribute elements), sorted. */
export function distinctValues(docs: readonly Document[], key: string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const doc of docs) {
    for (const v of valuesAtPath(doc, key)) {
      const k = keyOf(v);
      if (v !== undefined && !seen.has(k)) seen.set(k, v);
    }
  }
  return [...seen.values()].sort(compare).map(cloneValue);
}
