/** Conformance: filters, cursors (sort, skip, limit, projection, iteration), count, distinct. */
import type { Collection } from '@insights/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectDbError, type DbGetter } from './conformance-helpers.ts';

interface Learner {
  _id: string;
  name: string;
  age: number;
  course: string;
  tags: string[];
  scores: { q: string; s: number }[];
  address?: { city: string };
}

const LEARNERS: Learner[] = [
  {
    _id: 'l1',
    name: 'Ada',
    age: 36,
    course: 'cs101',
    tags: ['a', 'b'],
    scores: [{ q: 'q1', s: 5 }],
    address: { city: 'London' },
  },
  {
    _id: 'l2',
    name: 'Brian',
    age: 22,
    course: 'cs101',
    tags: ['b'],
    scores: [
      { q: 'q1', s: 2 },
      { q: 'q2', s: 9 },
    ],
  },
  { _id: 'l3', name: 'Chen', age: 29, course: 'ma201', tags: [], scores: [], address: { city: 'Paris' } },
  { _id: 'l4', name: 'Dana', age: 22, course: 'ma201', tags: ['a', 'c'], scores: [{ q: 'q2', s: 7 }] },
];

const ids = (docs: { _id: unknown }[]): unknown[] => docs.map((d) => d._id);

export function describeQueryConformance(db: DbGetter): void {
  describe('query', () => {
    let c: Collection<Learner>;
    beforeEach(async () => {
      c = db().collection<Learner>('learners');
      await c.insertMany(LEARNERS);
    });

    it('query - comparison, set and logical operators', async () => {
      const q = async (filter: object): Promise<unknown[]> => ids(await c.find(filter, { sort: { _id: 1 } }).toArray());
      expect(await q({ age: 22 })).toEqual(['l2', 'l4']);
      expect(await q({ age: { $gt: 22, $lte: 36 } })).toEqual(['l1', 'l3']);
      expect(await q({ course: { $in: ['ma201'] } })).toEqual(['l3', 'l4']);
      expect(await q({ course: { $nin: ['ma201'] } })).toEqual(['l1', 'l2']);
      expect(await q({ age: { $ne: 22 } })).toEqual(['l1', 'l3']);
      expect(await q({ address: { $exists: false } })).toEqual(['l2', 'l4']);
      expect(await q({ $or: [{ age: 36 }, { course: 'ma201', age: 22 }] })).toEqual(['l1', 'l4']);
      expect(await q({ $and: [{ age: { $lt: 30 } }, { course: 'cs101' }] })).toEqual(['l2']);
      expect(await q({ name: { $regex: '^[AB]' } })).toEqual(['l1', 'l2']);
      expect(await q({ name: /an$/ })).toEqual(['l2']);
    });

    it('query - arrays and dotted paths', async () => {
      const q = async (filter: object): Promise<unknown[]> => ids(await c.find(filter, { sort: { _id: 1 } }).toArray());
      expect(await q({ tags: 'a' })).toEqual(['l1', 'l4']);
      expect(await q({ tags: { $all: ['a', 'b'] } })).toEqual(['l1']);
      expect(await q({ tags: { $size: 0 } })).toEqual(['l3']);
      expect(await q({ 'address.city': 'Paris' })).toEqual(['l3']);
      expect(await q({ 'scores.q': 'q2' })).toEqual(['l2', 'l4']);
      expect(await q({ scores: { $elemMatch: { q: 'q1', s: { $gt: 3 } } } })).toEqual(['l1']);
    });

    it('query - sort, skip, limit and projection, as options and chained', async () => {
      const byOptions = await c.find({}, { sort: { age: -1, name: 1 }, skip: 1, limit: 2, projection: { name: 1 } }).toArray();
      expect(byOptions).toEqual([
        { _id: 'l3', name: 'Chen' },
        { _id: 'l2', name: 'Brian' },
      ]);
      const chained = await c.find({ course: 'cs101' }).sort({ age: 1 }).project<{ name: string }>({ _id: 0, name: 1 }).toArray();
      expect(chained).toEqual([{ name: 'Brian' }, { name: 'Ada' }]);
      const excluded = await c.find({ _id: 'l3' }).project({ scores: 0, tags: 0, address: 0 }).toArray();
      expect(excluded).toEqual([{ _id: 'l3', name: 'Chen', age: 29, course: 'ma201' }]);
      expect(ids(await c.find().sort({ _id: -1 }).limit(2).toArray())).toEqual(['l4', 'l3']);
      expect(ids(await c.find().sort({ _id: 1 }).skip(3).toArray())).toEqual(['l4']);
      expect(ids(await c.find().sort({ _id: 1 }).limit(0).toArray())).toHaveLength(4);
    });

    it('query - findOne returns the first match or null, with options', async () => {
      expect((await c.findOne({ course: 'ma201' }, { sort: { age: 1 } }))?._id).toBe('l4');
      expect(await c.findOne({ course: 'none' })).toBeNull();
      expect(await c.findOne({ _id: 'l1' }, { projection: { _id: 0, age: 1 } })).toEqual({ age: 36 });
    });

    it('query - async iteration yields every document and can stop early', async () => {
      const seen: string[] = [];
      for await (const doc of c.find({}, { sort: { _id: 1 } })) seen.push(doc._id);
      expect(seen).toEqual(['l1', 'l2', 'l3', 'l4']);
      let first: string | undefined;
      for await (const doc of c.find({}, { sort: { _id: 1 } })) {
        first = doc._id;
        break;
      }
      expect(first).toBe('l1');
    });

    it('query - a cursor cannot be changed or read again after reading', async () => {
      const cursor = c.find();
      await cursor.toArray();
      await expectDbError(() => cursor.limit(1), 'DB_CURSOR_IN_USE');
    });

    it('query - countDocuments and distinct', async () => {
      expect(await c.countDocuments()).toBe(4);
      expect(await c.countDocuments({ age: 22 })).toBe(2);
      expect(await c.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
      expect(await c.estimatedDocumentCount()).toBe(4);
      expect((await c.distinct<string>('course')).sort()).toEqual(['cs101', 'ma201']);
      expect((await c.distinct<string>('tags')).sort()).toEqual(['a', 'b', 'c']);
      expect((await c.distinct<string>('tags', { course: 'cs101' })).sort()).toEqual(['a', 'b']);
      expect((await c.distinct<string>('address.city')).sort()).toEqual(['London', 'Paris']);
    });

    it('query - an unknown operator fails with DB_INVALID_FILTER', async () => {
      await expectDbError(c.find({ age: { $bogus: 1 } } as object).toArray(), 'DB_INVALID_FILTER');
      await expectDbError(c.countDocuments({ $nope: [] } as object), 'DB_INVALID_FILTER');
    });
  });
}
