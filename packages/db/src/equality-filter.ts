/**
 * Filters matched without mingo: top-level fields compared for equality with strings, finite
 * numbers or booleans (`{ _id: id }`, `{ _id: { $in: ids } }`, `{ _id: id, _rev: n }`), the
 * filters handlers send with nearly every write. Compiling a mingo Query copies mingo's operator
 * tables each time (~15 µs, and garbage); this builds a set. Any other filter (dotted paths, other
 * operators, null, Dates, objects, regular expressions) is declined and goes to mingo.
 */
import type { Document } from '@insights/sdk';

type Scalar = string | number | boolean;

export interface EqualityMatcher {
  test(doc: Document): boolean;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The values a condition accepts: `v`, `{ $eq: v }` or `{ $in: [v...] }` of scalars. */
function acceptedValues(cond: unknown): readonly Scalar[] | undefined {
  if (isScalar(cond)) return [cond];
  if (!isPlainObject(cond)) return undefined;
  const keys = Object.keys(cond);
  if (keys.length !== 1) return undefined;
  const arg = cond[keys[0] as string];
  if (keys[0] === '$eq') return isScalar(arg) ? [arg] : undefined;
  if (keys[0] === '$in') return Array.isArray(arg) && arg.every(isScalar) ? arg : undefined;
  return undefined;
}

/**
 * MongoDB's equality on a field: the value is one of `accepted`, or an array with such an element.
 * A Set compares by SameValueZero: types apart, 0 equal to -0, as MongoDB for these types.
 */
function fieldTest(field: string, accepted: ReadonlySet<Scalar>): (doc: Document) => boolean {
  return (doc) => {
    const v = Object.hasOwn(doc, field) ? doc[field] : undefined;
    if (Array.isArray(v)) return v.some((x) => accepted.has(x as Scalar));
    return accepted.has(v as Scalar);
  };
}

/** A matcher for `filter` when it is only such equalities; undefined otherwise. */
export function equalityMatcher(filter: Document): EqualityMatcher | undefined {
  if (!isPlainObject(filter)) return undefined;
  const tests: ((doc: Document) => boolean)[] = [];
  for (const field of Object.keys(filter)) {
    if (field === '' || field.startsWith('$') || field.includes('.')) return undefined;
    const values = acceptedValues(filter[field]);
    if (values === undefined) return undefined;
    tests.push(fieldTest(field, new Set(values)));
  }
  if (tests.length === 1) return { test: tests[0] as (doc: Document) => boolean };
  return { test: (doc) => tests.every((t) => t(doc)) };
}
