/** The equality matcher must agree with mingo (the reference) on every filter it accepts. */
import type { Document } from '@insights/sdk';
import fc from 'fast-check';
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { equalityMatcher } from './equality-filter.ts';

const mingoTest = (filter: Document, doc: Document): boolean => new Query(filter, { idKey: '_id' }).test(doc);

const FIELDS = ['_id', 'a', 'b'] as const;
const scalar = fc.oneof(fc.constantFrom('x', 'y', '1', ''), fc.constantFrom(0, -0, 1, 2, 1.5, -3), fc.boolean());
/** Stored values, including those the filter's scalars must not equal. */
const stored = fc.oneof(
  scalar,
  fc.constant(null),
  fc.array(scalar, { maxLength: 3 }),
  fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }),
  fc.record({ k: scalar }).map((o) => ({ ...o })), // documents come from JSON.parse: ordinary prototypes
  fc.constant(new Date(1)),
  fc.constant(Number.NaN),
);
const doc = fc.dictionary(fc.constantFrom(...FIELDS), stored, { maxKeys: 3 });
const condition = fc.oneof(
  scalar,
  scalar.map((v) => ({ $eq: v })),
  fc.array(scalar, { maxLength: 4 }).map((vs) => ({ $in: vs })),
);
const filter = fc.dictionary(fc.constantFrom(...FIELDS), condition, { minKeys: 1, maxKeys: 3 });

describe('equality filter', () => {
  it('equality filter - agrees with mingo on scalar equalities, $eq and $in (property)', () => {
    fc.assert(
      fc.property(filter, doc, (f, d) => {
        const matcher = equalityMatcher(f);
        expect(matcher).toBeDefined();
        expect(matcher!.test(d)).toBe(mingoTest(f, d));
      }),
      { numRuns: 2000 },
    );
  });

  it('equality filter - matches an array field by its elements, and -0 as 0', () => {
    const m = equalityMatcher({ a: 2, b: { $in: ['x', 0] } })!;
    expect(m.test({ a: [1, 2], b: -0 })).toBe(true);
    expect(m.test({ a: [[2]], b: 0 })).toBe(false);
    expect(m.test({ a: '2', b: 'x' })).toBe(false);
    expect(m.test({ b: 'x' })).toBe(false);
    expect(equalityMatcher({ a: { $in: [] } })!.test({ a: 1 })).toBe(false);
  });

  it('equality filter - an inherited property is not a field', () => {
    expect(equalityMatcher({ constructor: 'x' })!.test({})).toBe(false);
    expect(mingoTest({ constructor: 'x' }, {})).toBe(false);
  });

  it('equality filter - declines what mingo must handle', () => {
    class Box {
      a = 1;
    }
    const declined: unknown[] = [
      { 'a.b': 1 },
      { $or: [{ a: 1 }] },
      { a: null },
      { a: new Date(1) },
      { a: /x/ },
      { a: { k: 1 } },
      { a: [1] },
      { a: { $gt: 1 } },
      { a: { $eq: 1, $ne: 2 } },
      { a: { $in: [1, null] } },
      { a: { $in: 'x' } },
      { a: Number.NaN },
      { a: Infinity },
      { a: { $eq: Number.NaN } },
      { '': 1 },
      new Box(),
    ];
    for (const f of declined) expect(equalityMatcher(f as Document), String(JSON.stringify(f))).toBeUndefined();
  });
});
