/**
 * `$graphLookup` for module queries, in place of mingo's: a breadth-first search that expands each
 * value and reaches each document once, so its work is linear in the graph's edges per input
 * document. mingo's re-joins every match at every level: on a densely connected collection its
 * intermediate arrays grow with the square of the collection (an out-of-memory error for the
 * node at a few hundred thousand small documents). What one output document joins is bounded
 * by MAX_JOINED_BYTES, counted as documents are reached.
 */
import type { Document } from '@insights/sdk';
import { evalExpr } from 'mingo/core';
import type { Iterator as LazyIterator } from 'mingo/lazy';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { keyOf } from './codec.ts';
import { valuesAtPath } from './doc-path.ts';
import { DbError } from './errors.ts';
import { checkActiveClock } from './operation-clock.ts';
import { MAX_JOINED_BYTES } from './query-limits.ts';

interface GraphSpec {
  readonly from: string;
  readonly startWith: unknown;
  readonly connectFromField: string;
  readonly connectToField: string;
  readonly as: string;
  readonly maxDepth: number | undefined;
  readonly depthField: string | undefined;
  readonly restrictSearchWithMatch: Document | undefined;
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !v.startsWith('$');

function checkSpec(expr: unknown): GraphSpec {
  const s = (typeof expr === 'object' && expr !== null ? expr : {}) as Document;
  const { from, startWith, connectFromField, connectToField, as, maxDepth, depthField, restrictSearchWithMatch } = s;
  if (typeof from !== 'string' || !isName(connectFromField) || !isName(connectToField) || !isName(as) || !('startWith' in s)) {
    throw new Error('$graphLookup needs from, startWith, connectFromField, connectToField and as (field names)');
  }
  if (maxDepth !== undefined && !(Number.isInteger(maxDepth) && (maxDepth as number) >= 0)) {
    throw new Error('$graphLookup maxDepth must be a non-negative integer');
  }
  if (depthField !== undefined && !isName(depthField)) throw new Error('$graphLookup depthField must be a field name');
  if (
    restrictSearchWithMatch !== undefined &&
    (typeof restrictSearchWithMatch !== 'object' || restrictSearchWithMatch === null)
  ) {
    throw new Error('$graphLookup restrictSearchWithMatch must be a filter object');
  }
  return {
    from,
    startWith,
    connectFromField,
    connectToField,
    as,
    maxDepth: maxDepth as number | undefined,
    depthField: depthField as string | undefined,
    restrictSearchWithMatch: restrictSearchWithMatch as Document | undefined,
  };
}

/** The values a document is joined on: each array element; null when the field is missing (as mingo and MongoDB). */
function joinKeys(doc: unknown, path: string): string[] {
  const values = valuesAtPath(doc, path);
  return (values.length > 0 ? values : [null]).map(keyOf);
}

function tooLarge(): DbError {
  return new DbError(
    'DB_LOOKUP_TOO_LARGE',
    `$graphLookup joined more than ${MAX_JOINED_BYTES / 1024 / 1024} MiB of documents into one document ` +
      "(MAX_JOINED_BYTES, MongoDB's document limit): set maxDepth, or narrow it with restrictSearchWithMatch.",
  );
}

/** mingo's pipeline-operator signature: the input, the stage's argument, the run's options. */
export function graphLookup(coll: LazyIterator, expr: unknown, options: Options): LazyIterator {
  const spec = checkSpec(expr);
  const restrict = spec.restrictSearchWithMatch ? new Query(spec.restrictSearchWithMatch, options) : undefined;
  const sizes = new WeakMap<Document, number>();
  const sizeOf = (doc: Document): number => {
    let n = sizes.get(doc);
    if (n === undefined) sizes.set(doc, (n = JSON.stringify(doc).length));
    return n;
  };
  let index: Map<string, Document[]> | undefined;
  const byConnectTo = (): Map<string, Document[]> => {
    if (index !== undefined) return index;
    const resolve = options.collectionResolver;
    if (resolve === undefined) throw new Error('$graphLookup cannot read other collections here');
    index = new Map();
    for (const doc of resolve(spec.from) as Document[]) {
      for (const k of new Set(joinKeys(doc, spec.connectToField))) {
        const list = index.get(k);
        if (list === undefined) index.set(k, [doc]);
        else list.push(doc);
      }
    }
    return index;
  };
  return coll.map((obj: unknown) => {
    const docs = byConnectTo();
    const start: unknown = evalExpr(obj, spec.startWith, options);
    const expanded = new Set<string>();
    let frontier: string[] = [];
    for (const v of Array.isArray(start) ? start : [start]) {
      const k = keyOf(v ?? null);
      if (expanded.has(k)) continue;
      expanded.add(k);
      frontier.push(k);
    }
    const reached = new Set<string>();
    const out: Document[] = [];
    let bytes = 0;
    for (let depth = 0; frontier.length > 0 && (spec.maxDepth === undefined || depth <= spec.maxDepth); depth++) {
      checkActiveClock();
      const next: string[] = [];
      for (const k of frontier) {
        for (const doc of docs.get(k) ?? []) {
          const id = keyOf(doc['_id']);
          if (reached.has(id) || (restrict !== undefined && !restrict.test(doc))) continue;
          reached.add(id);
          bytes += sizeOf(doc);
          if (bytes > MAX_JOINED_BYTES) throw tooLarge();
          out.push(spec.depthField === undefined ? { ...doc } : { ...doc, [spec.depthField]: depth });
          for (const v of joinKeys(doc, spec.connectFromField)) {
            if (expanded.has(v)) continue;
            expanded.add(v);
            next.push(v);
          }
        }
      }
      frontier = next;
    }
    return { ...(obj as Document), [spec.as]: out };
  });
}
