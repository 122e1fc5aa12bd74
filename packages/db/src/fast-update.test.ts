/** The fast update path must agree with mingo (the reference) wherever it accepts an update. */
import type { Document } from '@insights/sdk';
import { update } from 'mingo';
import { describe, expect, it } from 'vitest';
import { cloneValue } from './codec.ts';
import { tryFastUpdate } from './fast-update.ts';

const BASE: Document = { _id: 1, n: 5, s: 'x', d: new Date(10), o: { a: 1, b: { c: 2 } }, list: [1, 2], nul: null };

const ACCEPTED: Document[] = [
  { $set: { n: 6 } },
  { $set: { n: 5 } },
  { $set: { 'o.b.c': 3, 'new.deep.path': [1] } },
  { $set: { o: { a: 1, b: { c: 2 } } } },
  { $unset: { s: '', missing: '', 'o.a': 1, 'nope.x': '' } },
  { $inc: { n: 2, fresh: 1, 'o.a': -1 } },
  { $inc: { n: 0 } },
  { $mul: { n: 3, fresh: 2 } },
  { $min: { n: 1, d: new Date(5), fresh: 'v' } },
  { $max: { n: 1, s: 'y', d: new Date(20) } },
  { $push: { list: 3, fresh: 'a' } },
  { $addToSet: { list: 2 } },
  { $addToSet: { list: 9, fresh: { k: 1 } } },
  { $set: { nul: null } },
  { $set: { nul: 0 } },
];

const DECLINED: Document[] = [
  { $set: { _id: 2 } },
  { $set: { 'list.0': 9 } },
  { $set: { 'list.$': 9 } },
  { $set: { 's.x': 1 } },
  { $inc: { s: 1 } },
  { $inc: { n: 'x' } },
  { $push: { n: 1 } },
  { $push: { list: { $each: [1, 2] } } },
  { $set: { o: 1 }, $unset: { 'o.a': '' } },
  { $rename: { n: 'm' } },
  { $set: {} },
];

describe('fast update', () => {
  it('fast update - agrees with mingo on the updates it accepts', () => {
    for (const ops of ACCEPTED) {
      const fast = cloneValue(BASE);
      const slow = cloneValue(BASE);
      const changed = tryFastUpdate(fast, ops);
      const fields = update(slow, ops);
      expect(changed, JSON.stringify(ops)).toBe(fields.length > 0);
      expect(fast, JSON.stringify(ops)).toEqual(slow);
    }
  });

  it('fast update - declines anything else and leaves the document untouched', () => {
    for (const ops of DECLINED) {
      const doc = cloneValue(BASE);
      expect(tryFastUpdate(doc, ops), JSON.stringify(ops)).toBeUndefined();
      expect(doc).toEqual(BASE);
    }
  });
});
