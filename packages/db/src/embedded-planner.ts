/**
 * Chooses where a query reads from: the `_id` map, a secondary index, or a full scan. Only
 * top-level equality (`{ f: v }`, `{ f: { $eq: v } }`, `{ f: { $in: [...] } }`) on strings,
 * numbers, booleans and Dates uses an index; `null` does not (it also matches missing fields).
 */
import type { Document } from '@insights/sdk';
import { keyOf } from './codec.ts';
import { joinKey, type MemIndex } from './embedded-index.ts';

/** More `$in` combinations than this and a scan is as good. */
const MAX_LOOKUP_KEYS = 1000;

export interface Plan {
  /** `_id` keys (`source: 'id'`) or index keys to read; absent for a full scan. */
  readonly keys?: readonly string[];
  readonly source: 'id' | 'index' | 'scan';
  readonly index?: MemIndex;
  /** True when every match of the keys satisfies the whole filter (no need to test). */
  readonly exact: boolean;
}

const SCAN: Plan = { source: 'scan', exact: false };

function isScalar(v: unknown): boolean {
  return (
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && !Number.isNaN(v)) ||
    (v instanceof Date && !Number.isNaN(v.getTime()))
  );
}

function isLiteralObject(v: unknown): v is Document {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof RegExp) &&
    Object.keys(v).every((k) => !k.startsWith('$'))
  );
}

/** The values a field must equal one of, or undefined when the condition is not plain equality. */
function equalityValues(cond: unknown, allowObjects: boolean): unknown[] | undefined {
  const ok = (v: unknown): boolean => isScalar(v) || (allowObjects && isLiteralObject(v) && Object.keys(v).length > 0);
  if (ok(cond)) return [cond];
  if (typeof cond !== 'object' || cond === null || Array.isArray(cond)) return undefined;
  const keys = Object.keys(cond);
  if (keys.length !== 1) return undefined;
  const c = cond as Document;
  if (keys[0] === '$eq' && ok(c['$eq'])) return [c['$eq']];
  if (keys[0] === '$in' && Array.isArray(c['$in']) && c['$in'].every(ok)) return c['$in'] as unknown[];
  return undefined;
}

export function plan(filter: Document | undefined, indexes: Iterable<MemIndex>): Plan {
  if (filter === undefined || filter === null || typeof filter !== 'object') return SCAN;
  const fields = Object.keys(filter);
  if (fields.length === 0) return SCAN;

  // `_id` values may be objects; they compare whole, like MongoDB.
  const ids = equalityValues(filter['_id'], true);
  if (ids !== undefined) {
    return { source: 'id', keys: [...new Set(ids.map(keyOf))], exact: fields.length === 1 };
  }

  let best: Plan = SCAN;
  for (const index of indexes) {
    const perField = index.def.fields.map((f) => equalityValues(filter[f], false));
    if (perField.some((v) => v === undefined)) continue;
    let keys = [''];
    for (const vals of perField as unknown[][]) {
      keys = keys.flatMap((k) => vals.map((v) => joinKey(k, keyOf(v))));
      if (keys.length > MAX_LOOKUP_KEYS) break;
    }
    if (keys.length > MAX_LOOKUP_KEYS) continue;
    // Numeric path parts (`a.0`) have two meanings; let the matcher decide there.
    const simplePaths = index.def.fields.every((f) => !/(^|\.)\d+(\.|$)/.test(f));
    const exact = simplePaths && fields.length === index.def.fields.length;
    const candidate: Plan = { source: 'index', keys: [...new Set(keys)], index, exact };
    if (best.source === 'scan' || (index.def.unique && !best.index?.def.unique) || (exact && !best.exact)) {
      best = candidate;
    }
  }
  return best;
}
