/** Conformance: index creation, listing, unique enforcement, lookups through indexes. */
import { describe, expect, it } from 'vitest';
import { expectDbError, type DbGetter } from './conformance-helpers.ts';

export function describeIndexConformance(db: DbGetter): void {
  describe('index', () => {
    it('index - createIndex names like the driver and listIndexes shows it', async () => {
      const c = db().collection('i1');
      expect(await c.listIndexes()).toEqual([]);
      expect(await c.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
      expect(await c.createIndex({ course: 1, at: -1 })).toBe('course_1_at_-1');
      expect(await c.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
      const list = await c.listIndexes();
      expect(list.map((i) => i.name).sort()).toEqual(['_id_', 'course_1_at_-1', 'email_1']);
      expect(list.find((i) => i.name === 'email_1')).toEqual({ name: 'email_1', key: { email: 1 }, unique: true });
    });

    it('index - a unique index rejects duplicates from inserts and updates', async () => {
      const c = db().collection('i2');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertOne({ _id: 'u1', email: 'a@x' });
      await c.insertOne({ _id: 'u2', email: 'b@x' });
      const err = await expectDbError(c.insertOne({ _id: 'u3', email: 'a@x' }), 'DB_DUPLICATE_KEY');
      expect(err.index).toBe('email_1');
      expect(err.message).toContain('i2');
      await expectDbError(c.updateOne({ _id: 'u2' }, { $set: { email: 'a@x' } }), 'DB_DUPLICATE_KEY');
      expect(await c.findOne({ _id: 'u2' })).toEqual({ _id: 'u2', email: 'b@x' });
      await c.updateOne({ _id: 'u2' }, { $set: { email: 'c@x' } });
      await c.insertOne({ _id: 'u4', email: 'b@x' });
      expect(await c.countDocuments()).toBe(3);
    });

    it('index - building a unique index over duplicates fails and leaves no index', async () => {
      const c = db().collection('i3');
      await c.insertMany([{ k: 1 }, { k: 1 }]);
      await expectDbError(c.createIndex({ k: 1 }, { unique: true }), 'DB_DUPLICATE_KEY');
      expect((await c.listIndexes()).map((i) => i.name)).toEqual(['_id_']);
    });

    it('index - sparse unique allows many documents without the field; compound unique', async () => {
      const c = db().collection('i4');
      await c.createIndex({ code: 1 }, { unique: true, sparse: true });
      await c.createIndex({ course: 1, user: 1 }, { unique: true });
      await c.insertMany([
        { course: 'c1', user: 'u1' },
        { course: 'c1', user: 'u2' },
        { course: 'c2', user: 'u1', code: 'Z' },
      ]);
      await expectDbError(c.insertOne({ course: 'c1', user: 'u2' }), 'DB_DUPLICATE_KEY');
      await expectDbError(c.insertOne({ course: 'c3', user: 'u3', code: 'Z' }), 'DB_DUPLICATE_KEY');
    });

    it('index - queries through an index agree with scans (equality, $in, arrays, extra conditions)', async () => {
      const c = db().collection('i5');
      const docs = Array.from({ length: 60 }, (_, i) => ({ _id: `d${i}`, g: i % 6, tags: [`t${i % 4}`, 'all'], v: i }));
      await c.insertMany(docs);
      const before = {
        eq: await c.find({ g: 3 }, { sort: { _id: 1 } }).toArray(),
        in: await c.find({ g: { $in: [1, 2] }, v: { $gt: 20 } }, { sort: { _id: 1 } }).toArray(),
        arr: await c.countDocuments({ tags: 't2' }),
      };
      await c.createIndex({ g: 1 });
      await c.createIndex({ tags: 1 });
      expect(await c.find({ g: 3 }, { sort: { _id: 1 } }).toArray()).toEqual(before.eq);
      expect(await c.find({ g: { $in: [1, 2] }, v: { $gt: 20 } }, { sort: { _id: 1 } }).toArray()).toEqual(before.in);
      expect(await c.countDocuments({ tags: 't2' })).toBe(before.arr);
      expect(before.eq).toHaveLength(10);
      await c.updateMany({ g: 3 }, { $set: { g: 7 } });
      expect(await c.countDocuments({ g: 3 })).toBe(0);
      expect(await c.countDocuments({ g: 7 })).toBe(10);
      await c.deleteMany({ g: 7 });
      expect(await c.countDocuments({ g: 7 })).toBe(0);
    });

    it('index - dropIndex removes it; unknown names fail', async () => {
      const c = db().collection('i6');
      await c.createIndex({ k: 1 }, { unique: true });
      await c.dropIndex('k_1');
      await c.insertMany([{ k: 1 }, { k: 1 }]);
      await expectDbError(c.dropIndex('nope_1'), 'DB_INDEX_NOT_FOUND');
      await expectDbError(c.dropIndex('_id_'), 'DB_INVALID_INDEX');
    });
  });
}
