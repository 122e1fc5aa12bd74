/**
 * The equality form of `$lookup` (`{ from, localField, foreignField, as }`) as a streaming join:
 * the input comes in chunks, and each chunk fetches only the foreign documents whose
 * `foreignField` equals one of its local values, with one `$in` query that the foreign
 * collection's index answers. Memory is bounded by a chunk and its matches, not by the foreign
 * collection. MongoDB's rules: a local array matches on each element, a missing or null local
 * value matches foreign documents whose field is null or missing, dotted paths fan out through
 * arrays on both sides, and a foreign array field matches on any element.
 */
import type { Document } from '@insights/sdk';
import { cloneValue, keyOf } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import { DbError } from './errors.ts';
import { MAX_SORT_BYTES, matchingPages } from './embedded-read.ts';
import { MAX_CHUNK_JOINED_BYTES, MAX_JOINED_BYTES } from './query-limits.ts';
import type { CollectionStore } from './sqlite-store.ts';

/** Input documents joined per foreign query. */
export const LOOKUP_CHUNK_DOCS = 256;
/** Values per `$in` query (the planner hands at most 1000 to SQLite). */
const IN_BATCH_VALUES = 500;
/** The most one chunk's foreign matches may hold, in bytes (the unindexed sort's limit). */
export const MAX_LOOKUP_BYTES = MAX_SORT_BYTES;

export interface EqualityLookup {
  readonly from: string;
  readonly localField: string;
  readonly foreignField: string;
  readonly as: string;
}

function isFieldPath(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && !v.startsWith('$');
}

/** The stage's spec when it is an equality `$lookup` (no `pipeline`, no `let`); else undefined. */
export function equalityLookup(stage: Document): EqualityLookup | undefined {
  const spec = stage['$lookup'] as Document | undefined;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return undefined;
  const keys = Object.keys(spec).sort().join(',');
  const { from, localField, foreignField, as } = spec;
  if (keys !== 'as,foreignField,from,localField' || typeof from !== 'string') return undefined;
  if (!isFieldPath(localField) || !isFieldPath(foreignField) || !isFieldPath(as)) return undefined;
  return { from, localField, foreignField, as };
}

function isPlainObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp);
}

/** True when `path` leads through plain objects to an empty array (which matches nothing). */
function emptyArrayAt(doc: Document, path: string): boolean {
  let v: unknown = doc;
  for (const seg of path.split('.')) {
    if (!isPlainObject(v)) return false;
    v = v[seg];
  }
  return Array.isArray(v) && v.length === 0;
}

/** The values a document joins on: each array element; null when the field is missing. */
export function joinValues(doc: Document, path: string): unknown[] {
  const values = valuesAtPath(doc, path);
  if (values.length > 0) return values;
  return emptyArrayAt(doc, path) ? [] : [null];
}

/** Sets a (dotted) field, making objects on the way as MongoDB's `as` does. */
function setPath(doc: Document, path: string, value: unknown): void {
  const segs = path.split('.');
  let at = doc;
  for (const seg of segs.slice(0, -1)) {
    const next = at[seg];
    at = at[seg] = isPlainObject(next) ? { ...next } : {};
  }
  at[segs[segs.length - 1] as string] = value;
}

function tooLarge(spec: EqualityLookup, ns: string): DbError {
  return new DbError(
    'DB_LOOKUP_TOO_LARGE',
    `$lookup from ${spec.from} (on ${ns}) matched more than ${MAX_LOOKUP_BYTES / 1024 / 1024} MiB of documents for ` +
      `${LOOKUP_CHUNK_DOCS} input documents: $match the input or the joined values more narrowly, or $unwind/$group ` +
      'on the foreign collection instead.',
    { namespace: ns },
  );
}

function joinedTooLarge(spec: EqualityLookup, ns: string, oneDocument: boolean): DbError {
  const mib = (n: number): number => n / 1024 / 1024;
  const what = oneDocument
    ? `more than ${mib(MAX_JOINED_BYTES)} MiB of documents into one document (MAX_JOINED_BYTES, MongoDB's document limit)`
    : `more than ${mib(MAX_CHUNK_JOINED_BYTES)} MiB of documents into ${LOOKUP_CHUNK_DOCS} input documents ` +
      '(MAX_CHUNK_JOINED_BYTES; a document joined to several inputs is copied for each)';
  return new DbError(
    'DB_LOOKUP_TOO_LARGE',
    `$lookup from ${spec.from} (on ${ns}) would join ${what}: $match the input or the joined values more narrowly, ` +
      'or $unwind/$group on the foreign collection instead.',
    { namespace: ns },
  );
}

interface Matches {
  /** Foreign documents by the key of each join value they hold, in the order they were read. */
  readonly byKey: Map<string, Document[]>;
  /** The read position of each foreign document, to merge the lists of several keys. */
  readonly rank: Map<Document, number>;
  /** Bytes of JSON of each foreign document. */
  readonly size: Map<Document, number>;
}

/**
 * The foreign documents any of `values` (by key) joins to, each once. Yields an empty page after
 * each page the store reads, so the cursor can give the event loop a turn (see TimeSlice).
 */
function* fetchMatches(
  store: CollectionStore,
  spec: EqualityLookup,
  values: Map<string, unknown>,
  ns: string,
): Generator<Document[], Matches> {
  const matches: Matches = { byKey: new Map(), rank: new Map(), size: new Map() };
  const seen = new Set<string>();
  let bytes = 0;
  const take = (doc: Document): void => {
    const id = keyOf(doc['_id']);
    if (seen.has(id)) return;
    seen.add(id);
    const size = JSON.stringify(doc).length;
    bytes += size;
    if (bytes > MAX_LOOKUP_BYTES) throw tooLarge(spec, ns);
    matches.rank.set(doc, matches.rank.size);
    matches.size.set(doc, size);
    for (const key of new Set(joinValues(doc, spec.foreignField).map(keyOf))) {
      if (!values.has(key)) continue;
      const list = matches.byKey.get(key);
      if (list === undefined) matches.byKey.set(key, [doc]);
      else list.push(doc);
    }
  };
  // null is asked apart: `{ f: null }` uses an index, an `$in` holding null does not.
  const nonNull = [...values.values()].filter((v) => v !== null && v !== undefined);
  const filters: Document[] = [];
  for (let i = 0; i < nonNull.length; i += IN_BATCH_VALUES) {
    filters.push({ [spec.foreignField]: { $in: nonNull.slice(i, i + IN_BATCH_VALUES) } });
  }
  if (values.has(keyOf(null))) filters.push({ [spec.foreignField]: null });
  for (const filter of filters) {
    for (const page of matchingPages(store, filter)) {
      page.forEach(take);
      yield [];
    }
  }
  return matches;
}

/** Joins one chunk of input documents (owned by the caller) to their foreign matches. */
function* joinChunk(chunk: Document[], store: CollectionStore, spec: EqualityLookup, ns: string): Generator<Document[]> {
  const values = new Map<string, unknown>();
  const keysOf = chunk.map((doc) => {
    const keys = new Set<string>();
    for (const v of joinValues(doc, spec.localField)) {
      const key = keyOf(v);
      keys.add(key);
      values.set(key, v);
    }
    return keys;
  });
  const { byKey, rank, size } = yield* fetchMatches(store, spec, values, ns);
  const used = new Set<Document>();
  let chunkBytes = 0;
  yield chunk.map((doc, i) => {
    const matched = new Set<Document>();
    for (const key of keysOf[i] ?? []) for (const d of byKey.get(key) ?? []) matched.add(d);
    const list = [...matched].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
    // Checked before the copies are made: a cartesian join copies the same matches for each input.
    let bytes = 0;
    for (const d of list) bytes += size.get(d) ?? 0;
    chunkBytes += bytes;
    if (bytes > MAX_JOINED_BYTES || chunkBytes > MAX_CHUNK_JOINED_BYTES) throw joinedTooLarge(spec, ns, bytes > MAX_JOINED_BYTES);
    // A foreign document joined to several inputs is copied, so results never share objects.
    const joined = list.map((d) => (used.has(d) ? cloneValue(d) : (used.add(d), d)));
    const out = { ...doc };
    setPath(out, spec.as, joined);
    return out;
  });
}

/** The input, joined chunk by chunk; pages of output documents (some empty, see fetchMatches). */
export function* streamLookup(
  input: Iterable<Document>,
  store: CollectionStore,
  spec: EqualityLookup,
  ns: string,
): Generator<Document[]> {
  let chunk: Document[] = [];
  for (const doc of input) {
    chunk.push(doc);
    if (chunk.length >= LOOKUP_CHUNK_DOCS) {
      yield* joinChunk(chunk, store, spec, ns);
      chunk = [];
    }
  }
  if (chunk.length > 0) yield* joinChunk(chunk, store, spec, ns);
}
