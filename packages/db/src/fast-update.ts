/**
 * A fast path for the most common updates (`$set $unset $inc $mul $min $max`, and `$push` /
 * `$addToSet` of one value) on plain dotted paths. mingo rebuilds its operator tables on every
 * update call (~50 us); this is ~1 us. Anything it is not sure about (array indexes, positional
 * operators, conflicts, type errors, `_id`) is declined and goes to mingo, which also produces
 * MongoDB's error messages.
 */
import type { Document } from '@insights/sdk';
import { compare } from 'mingo/util';
import { keyOf } from './codec.ts';

const FAST_OPS = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$push', '$addToSet']);
const NUMERIC_LEAF = new Set(['$inc', '$mul']);
const ARRAY_LEAF = new Set(['$push', '$addToSet']);

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function hasOperatorKey(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$'));
}

interface Step {
  op: string;
  segs: string[];
  value: unknown;
}

/** Checks every step against the document first, so a declined update changed nothing. */
function plan(doc: Document, ops: Document): Step[] | undefined {
  const steps: Step[] = [];
  const paths: string[] = [];
  for (const [op, fields] of Object.entries(ops)) {
    if (!FAST_OPS.has(op) || !isPlainObject(fields) || Object.keys(fields).length === 0) return undefined;
    for (const [path, value] of Object.entries(fields)) {
      const segs = path.split('.');
      if (segs[0] === '_id' || segs.some((s) => s === '' || s.startsWith('$') || /^\d+$/.test(s))) return undefined;
      if (NUMERIC_LEAF.has(op) && typeof value !== 'number') return undefined;
      if (ARRAY_LEAF.has(op) && hasOperatorKey(value)) return undefined;
      let cur: unknown = doc;
      for (const seg of segs.slice(0, -1)) {
        cur = (cur as Obj)[seg];
        if (cur === undefined) break;
        if (!isPlainObject(cur)) return undefined;
      }
      const leaf = isPlainObject(cur) ? cur[segs[segs.length - 1] as string] : undefined;
      if (NUMERIC_LEAF.has(op) && leaf !== undefined && typeof leaf !== 'number') return undefined;
      if (ARRAY_LEAF.has(op) && leaf !== undefined && !Array.isArray(leaf)) return undefined;
      steps.push({ op, segs, value });
      paths.push(path);
    }
  }
  // Two operations on one path, or on a path and its parent, conflict: let mingo report it.
  paths.sort();
  for (let i = 1; i < paths.length; i++) {
    const prev = paths[i - 1] as string;
    const path = paths[i] as string;
    if (path === prev || path.startsWith(`${prev}.`)) return undefined;
  }
  return steps;
}

function parentOf(doc: Document, segs: readonly string[], create: boolean): Obj | undefined {
  let cur: Obj = doc;
  for (const seg of segs.slice(0, -1)) {
    let next = cur[seg];
    if (next === undefined) {
      if (!create) return undefined;
      cur[seg] = next = {};
    }
    cur = next as Obj;
  }
  return cur;
}

function apply(doc: Document, step: Step): boolean {
  const { op, segs, value } = step;
  const parent = parentOf(doc, segs, op !== '$unset');
  const key = segs[segs.length - 1] as string;
  if (parent === undefined) return false;
  const old = parent[key];
  let next: unknown;
  switch (op) {
    case '$unset':
      if (!(key in parent)) return false;
      delete parent[key];
      return true;
    case '$set':
      next = value;
      break;
    case '$inc':
      next = old === undefined ? value : (old as number) + (value as number);
      break;
    case '$mul':
      next = old === undefined ? 0 : (old as number) * (value as number);
      break;
    case '$min':
      next = old === undefined || compare(value, old) < 0 ? value : old;
      break;
    case '$max':
      next = old === undefined || compare(value, old) > 0 ? value : old;
      break;
    case '$push':
      parent[key] = old === undefined ? [value] : [...(old as unknown[]), value];
      return true;
    case '$addToSet': {
      const list = (old as unknown[] | undefined) ?? [];
      const k = keyOf(value);
      if (old !== undefined && list.some((x) => keyOf(x) === k)) return false;
      parent[key] = [...list, value];
      return true;
    }
    default:
      return false;
  }
  if (old !== undefined && keyOf(old) === keyOf(next) && typeof old === typeof next) return false;
  parent[key] = next;
  return true;
}

/**
 * Applies `ops` to `doc` (owned by the caller) when the fast path can; returns whether anything
 * changed, or undefined when the update must go to mingo (then `doc` is untouched).
 */
export function tryFastUpdate(doc: Document, ops: Document): boolean | undefined {
  const steps = plan(doc, ops);
  if (steps === undefined) return undefined;
  let modified = false;
  for (const step of steps) modified = apply(doc, step) || modified;
  return modified;
}
