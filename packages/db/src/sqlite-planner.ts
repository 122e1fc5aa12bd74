/**
 * Query planning for the embedded engine: the parts of a MongoDB filter that an index can answer
 * become SQL (a superset of the matches; mingo checks every row it returns), and a one-field sort
 * on an indexed field becomes ORDER BY. An index is used only while it is "plain": every value
 * stored at its fields so far was missing, null, a string or a finite number, with no array on the
 * way. For those values SQLite's comparisons and order agree with MongoDB's; for arrays
 * (multikey), booleans, Dates and objects they do not, so such an index only enforces uniqueness.
 */
import type { Document, Sort } from '@insights/sdk';
import { keyOf } from './codec.ts';
import type { IndexDef } from './embedded-index.ts';
import { fieldExpr, sparseCondition } from './sqlite-sql.ts';

export interface PlannedIndex {
  readonly def: IndexDef;
  readonly plain: boolean;
}

export interface SqlPlan {
  /** SQL conditions joined with AND (empty: every row). */
  readonly where: readonly string[];
  readonly params: readonly unknown[];
  /** The expression rows come ordered by besides rowid (range and $in plans), for keyset paging. */
  readonly orderKey?: string | undefined;
  /** ORDER BY of a pushed-down sort; the caller then does not sort. */
  readonly sortSql?: string | undefined;
  /** How many `_id`s the rows are limited to, when `where` names them (`id = ?`, `id IN (...)`). */
  readonly idCount?: number | undefined;
}

type Scalar = string | number;

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

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

/** The field conditions of a filter, including those inside a top-level `$and`. */
function conditions(filter: Document, out: [string, unknown][] = []): [string, unknown][] {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (typeof sub === 'object' && sub !== null && !Array.isArray(sub)) conditions(sub as Document, out);
    } else if (!k.startsWith('$')) {
      out.push([k, v]);
    }
  }
  return out;
}

/** A plain index whose first field is `field`. */
function indexOn(field: string, indexes: Iterable<PlannedIndex>, allowSparse: boolean): IndexDef | undefined {
  for (const i of indexes) if (i.plain && i.def.fields[0] === field && (allowSparse || !i.def.sparse)) return i.def;
  return undefined;
}

const RANGE_SQL: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };
/** Longer `$in` lists stay with mingo (SQLite caps the parameters of one statement). */
const MAX_IN_VALUES = 1000;

/** Plans `filter` (and `sort`, when one indexed field) over the collection's indexes. */
export function planQuery(filter: Document, sort: Sort | undefined, indexes: readonly PlannedIndex[]): SqlPlan {
  const where: string[] = [];
  const params: unknown[] = [];
  let orderKey: string | undefined;
  let idCount: number | undefined;
  const sparseUsed = new Set<IndexDef>();

  for (const [field, cond] of conditions(filter)) {
    if (field === '_id') {
      if (idCount !== undefined) continue;
      const eq = isOperatorObject(cond) ? (Object.keys(cond).length === 1 && '$eq' in cond ? cond['$eq'] : undefined) : cond;
      const list =
        isOperatorObject(cond) && Object.keys(cond).length === 1 && Array.isArray(cond['$in']) ? cond['$in'] : undefined;
      if (eq !== undefined && !(eq instanceof RegExp) && !Array.isArray(eq) && eq !== null) {
        where.push('id = ?');
        params.push(keyOf(eq));
        idCount = 1;
      } else if (
        list !== undefined &&
        list.length <= MAX_IN_VALUES &&
        list.every((v) => v !== null && !(v instanceof RegExp) && !isOperatorObject(v) && !Array.isArray(v))
      ) {
        where.push(`id IN (${list.map(() => '?').join(', ')})`);
        params.push(...list.map(keyOf));
        idCount = list.length;
      }
      continue;
    }
    if (isScalar(cond)) {
      const def = indexOn(field, indexes, true);
      if (def === undefined) continue;
      where.push(`${fieldExpr(field)} = ?`);
      params.push(cond);
      if (def.sparse) sparseUsed.add(def);
      continue;
    }
    if (cond === null) {
      if (indexOn(field, indexes, false) === undefined) continue;
      where.push(`${fieldExpr(field)} IS NULL`);
      continue;
    }
    if (!isOperatorObject(cond)) continue;
    const def = indexOn(field, indexes, true);
    if (def === undefined) continue;
    const expr = fieldExpr(field);
    let used = false;
    for (const [op, arg] of Object.entries(cond)) {
      if (op === '$eq' && isScalar(arg)) {
        where.push(`${expr} = ?`);
        params.push(arg);
        used = true;
      } else if (op in RANGE_SQL && isScalar(arg)) {
        where.push(`${expr} ${RANGE_SQL[op]} ?`);
        params.push(arg);
        orderKey ??= expr;
        used = true;
      } else if (op === '$in' && Array.isArray(arg) && arg.length > 0 && arg.length <= MAX_IN_VALUES && arg.every(isScalar)) {
        where.push(`${expr} IN (${arg.map(() => '?').join(', ')})`);
        params.push(...arg);
        orderKey ??= expr;
        used = true;
      }
    }
    if (used && def.sparse) sparseUsed.add(def);
  }
  // Conditions above exclude documents without the field, so a sparse index's rows hold them all.
  for (const def of sparseUsed) where.push(sparseCondition(def));

  const sortSql = sortPushdown(sort, indexes);
  return { where, params, orderKey: sortSql === undefined && idCount === undefined ? orderKey : undefined, sortSql, idCount };
}

function sortPushdown(sort: Sort | undefined, indexes: readonly PlannedIndex[]): string | undefined {
  const entries = sort === undefined ? [] : Object.entries(sort);
  if (entries.length !== 1) return undefined;
  const [field, dir] = entries[0] as [string, number];
  if (field === '_id' || (dir !== 1 && dir !== -1) || indexOn(field, indexes, false) === undefined) return undefined;
  // Ties keep insertion order, as mingo's stable sort does.
  return `${fieldExpr(field)} ${dir === 1 ? 'ASC' : 'DESC'}, rowid ASC`;
}
