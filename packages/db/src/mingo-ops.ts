/**
 * The MongoDB query language, from mingo: filter matching, sorting, projection, update operators
 * and aggregation. This file turns mingo's errors into coded DbErrors and fixes the options:
 * no `$where`/`$function` scripts (MongoDB servers usually disable them, and module code must run
 * the same on both engines), and mingo's operators metered (metered-operators.ts). Every filter
 * and pipeline that reaches mingo passes here, so its regular expressions are made linear-time or
 * refused here (query-regexes.ts).
 */
import type { Document, Projection, Sort } from '@insights/sdk';
import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { updateOne as mingoUpdateOne } from 'mingo/updater';
import { equalityMatcher } from './equality-filter.ts';
import { DbError, messageOf } from './errors.ts';
import { tryFastUpdate } from './fast-update.ts';
import { METERED_CONTEXT } from './metered-operators.ts';
import { withLinearRegexes } from './query-regexes.ts';
import type { DbErrorCode } from '@insights/sdk';

type Resolver = NonNullable<Options['collectionResolver']>;

const BASE_OPTIONS = { scriptEnabled: false, idKey: '_id', context: METERED_CONTEXT } as const;

function wrap<R>(code: DbErrorCode, what: string, ns: string, fn: () => R): R {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DbError) throw err;
    throw new DbError(code, `Invalid ${what} for ${ns}: ${messageOf(err)}`, { namespace: ns, cause: err });
  }
}

function isPlainObject(v: unknown): v is Document {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof RegExp);
}

/** A compiled filter. */
export interface Matcher {
  test(doc: Document): boolean;
}

const MATCH_ALL: Matcher = { test: () => true };

export function compileFilter(filter: unknown, ns: string): Matcher {
  if (filter === undefined || filter === null) return MATCH_ALL;
  if (!isPlainObject(filter)) {
    throw new DbError('DB_INVALID_FILTER', `A filter must be an object (querying ${ns}).`, { namespace: ns });
  }
  if (Object.keys(filter).length === 0) return MATCH_ALL;
  const equality = equalityMatcher(filter);
  if (equality !== undefined) return equality;
  const query = wrap('DB_INVALID_FILTER', 'filter', ns, () => new Query(withLinearRegexes(filter), BASE_OPTIONS));
  // Some operator errors surface only when evaluated; keep their code.
  return { test: (doc) => wrap('DB_INVALID_FILTER', 'filter', ns, () => query.test(doc)) };
}

/** Sorts (stable for equal keys, MongoDB type order) and applies skip/limit. */
export function sortDocuments(docs: Document[], sort: Sort, ns: string): Document[] {
  if (!isPlainObject(sort)) throw new DbError('DB_INVALID_OPTIONS', `A sort must be an object (on ${ns}).`);
  for (const [k, v] of Object.entries(sort)) {
    if (v !== 1 && v !== -1) {
      throw new DbError('DB_INVALID_OPTIONS', `Sort direction for "${k}" on ${ns} must be 1 or -1, got ${String(v)}.`);
    }
  }
  return wrap('DB_INVALID_OPTIONS', 'sort', ns, () => new Query({}, BASE_OPTIONS).find<Document>(docs).sort(sort).all());
}

/** Applies a projection to documents the caller owns (they may be changed in place). */
export function projectDocuments(docs: Document[], projection: Projection, ns: string): Document[] {
  if (!isPlainObject(projection)) throw new DbError('DB_INVALID_OPTIONS', `A projection must be an object (on ${ns}).`);
  if (Object.keys(projection).length === 0) return docs;
  return wrap('DB_INVALID_OPTIONS', 'projection', ns, () => new Query({}, BASE_OPTIONS).find<Document>(docs, projection).all());
}

const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** An update split into what mingo applies and `$setOnInsert` (applied only by upserts). */
export interface ParsedUpdate {
  ops: Document | Document[];
  setOnInsert?: Document | undefined;
}

/** Checks an update is operators only (or an update pipeline); returns `$setOnInsert` apart. */
export function checkUpdate(update: unknown, ns: string): ParsedUpdate {
  if (Array.isArray(update)) {
    for (const stage of update) {
      const keys = isPlainObject(stage) ? Object.keys(stage) : [];
      if (keys.length !== 1 || !PIPELINE_UPDATE_STAGES.has(keys[0] as string)) {
        throw new DbError('DB_INVALID_UPDATE', `Invalid update pipeline stage for ${ns}: ${JSON.stringify(stage)}.`, {
          namespace: ns,
        });
      }
    }
    return { ops: update as Document[] };
  }
  if (!isPlainObject(update) || Object.keys(update).length === 0) {
    throw new DbError('DB_INVALID_UPDATE', `An update for ${ns} must be a non-empty object of operators.`, {
      namespace: ns,
    });
  }
  const plain = Object.keys(update).find((k) => !k.startsWith('$'));
  if (plain !== undefined) {
    throw new DbError(
      'DB_INVALID_UPDATE',
      `Update for ${ns} has field "${plain}" without an operator: use { $set: {...} }, or replaceOne() to replace the whole document.`,
      { namespace: ns },
    );
  }
  const { $setOnInsert, ...ops } = update;
  if ($setOnInsert !== undefined && !isPlainObject($setOnInsert)) {
    throw new DbError('DB_INVALID_UPDATE', `$setOnInsert for ${ns} must be an object.`, { namespace: ns });
  }
  return $setOnInsert === undefined ? { ops } : { ops, setOnInsert: $setOnInsert as Document };
}

/**
 * Applies update operators (or a pipeline) to `doc`, which the caller owns. Returns the updated
 * document, or undefined when nothing changed. `filter` resolves positional `$` paths.
 */
export function applyUpdate(
  doc: Document,
  ops: Document | Document[],
  filter: Document,
  arrayFilters: Document[] | undefined,
  ns: string,
): Document | undefined {
  if (!Array.isArray(ops)) {
    if (Object.keys(ops).length === 0) return undefined;
    const fast = arrayFilters === undefined ? tryFastUpdate(doc, ops) : undefined;
    if (fast !== undefined) return fast ? doc : undefined;
  }
  const docs = [doc];
  const result = wrap('DB_INVALID_UPDATE', 'update', ns, () => {
    // `$pull` conditions, array filters and the filter (for positional paths) are queries too.
    const pull = !Array.isArray(ops) && ops['$pull'] !== undefined ? { ...ops, $pull: withLinearRegexes(ops['$pull']) } : ops;
    const config = arrayFilters ? { arrayFilters: withLinearRegexes(arrayFilters) } : {};
    return mingoUpdateOne(docs, withLinearRegexes(filter), pull as Document, config, BASE_OPTIONS);
  });
  return result.modifiedCount > 0 ? docs[0] : undefined;
}

export function checkPipeline(pipeline: unknown, ns: string, unsupported: ReadonlySet<string>): Document[] {
  if (!Array.isArray(pipeline)) {
    throw new DbError('DB_INVALID_PIPELINE', `A pipeline must be an array of stages (on ${ns}).`, { namespace: ns });
  }
  for (const stage of pipeline) {
    const keys = isPlainObject(stage) ? Object.keys(stage) : [];
    if (keys.length !== 1) {
      throw new DbError(
        'DB_INVALID_PIPELINE',
        `Each stage must have exactly one operator (on ${ns}): ${JSON.stringify(stage)}.`,
        {
          namespace: ns,
        },
      );
    }
    if (unsupported.has(keys[0] as string)) {
      throw new DbError('DB_UNSUPPORTED', `Stage ${keys[0]} is not supported by the embedded engine (on ${ns}).`, {
        namespace: ns,
      });
    }
  }
  return pipeline as Document[];
}

/** Runs a pipeline over streamed input; results come out in pages as mingo produces them. */
export function* runPipeline(
  docs: Iterable<Document>,
  pipeline: Document[],
  ns: string,
  resolver: Resolver,
  pageSize: number,
): Generator<Document[]> {
  const out = wrap('DB_INVALID_PIPELINE', 'pipeline', ns, () =>
    new Aggregator(withLinearRegexes(pipeline), { ...BASE_OPTIONS, collectionResolver: resolver }).stream(docs),
  );
  for (;;) {
    const page: Document[] = [];
    let done = false;
    while (page.length < pageSize) {
      const r = wrap('DB_INVALID_PIPELINE', 'pipeline', ns, () => out.next());
      if (r.done) {
        done = true;
        break;
      }
      page.push(r.value as Document);
    }
    if (page.length > 0) yield page;
    if (done) return;
  }
}
