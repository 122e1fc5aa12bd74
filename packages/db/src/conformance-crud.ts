/** Conformance: inserts, reads, deletes, collections, values and concurrency. */
import { describe, expect, it } from 'vitest';
import { expectDbError, type DbGetter } from './conformance-helpers.ts';

const HEX_ID = /^[0-9a-f]{24}$/;

export function describeCrudConformance(db: DbGetter): void {
  describe('crud', () => {
    it('crud - insertOne generates a 24-hex string _id and does not touch the input', async () => {
      const input = { name: 'ada', n: 1 };
      const r = await db().collection('people').insertOne(input);
      expect(r.acknowledged).toBe(true);
      expect(r.insertedId).toMatch(HEX_ID);
      expect(input).toEqual({ name: 'ada', n: 1 });
      expect(await db().collection('people').findOne({ _id: r.insertedId })).toEqual({ _id: r.insertedId, name: 'ada', n: 1 });
    });

    it('crud - a duplicate _id fails with DB_DUPLICATE_KEY naming the collection', async () => {
      const c = db().collection('dupes');
      await c.insertOne({ _id: 'k1', v: 1 });
      const err = await expectDbError(c.insertOne({ _id: 'k1', v: 2 }), 'DB_DUPLICATE_KEY');
      expect(err.message).toContain('dupes');
      expect(await c.findOne({ _id: 'k1' })).toEqual({ _id: 'k1', v: 1 });
    });

    it('crud - insertMany returns ids by position; ordered stops at the first failure', async () => {
      const c = db().collection('many');
      const r = await c.insertMany([{ _id: 1, a: 1 }, { a: 2 }]);
      expect(r.insertedCount).toBe(2);
      expect(r.insertedIds[0]).toBe(1);
      expect(r.insertedIds[1]).toMatch(HEX_ID);
      await expectDbError(c.insertMany([{ _id: 3 }, { _id: 1 }, { _id: 4 }]), 'DB_DUPLICATE_KEY');
      expect(await c.countDocuments({ _id: 3 })).toBe(1);
      expect(await c.countDocuments({ _id: 4 })).toBe(0);
      await expectDbError(c.insertMany([{ _id: 5 }, { _id: 1 }, { _id: 6 }], { ordered: false }), 'DB_DUPLICATE_KEY');
      expect(await c.countDocuments({ _id: { $in: [5, 6] } })).toBe(2);
      expect((await c.insertMany([])).insertedCount).toBe(0);
    });

    it('crud - returned documents are copies', async () => {
      const c = db().collection('copies');
      await c.insertOne({ _id: 'x', nested: { list: [1, 2] } });
      const doc = await c.findOne({ _id: 'x' });
      if (doc === null) throw new Error('missing');
      doc['nested'].list.push(3);
      const all = await c.find().toArray();
      const first = all[0];
      if (first) first['nested'].list.length = 0;
      expect(await c.findOne({ _id: 'x' })).toEqual({ _id: 'x', nested: { list: [1, 2] } });
    });

    it('crud - Dates round-trip as Dates, nested too, and compare in filters', async () => {
      const c = db().collection('dates');
      const when = new Date('2014-06-19T10:32:11.123Z');
      await c.insertOne({ _id: 'd', when, log: [{ at: when }] });
      const doc = await c.findOne({ when: { $gte: new Date('2014-01-01T00:00:00Z') } });
      expect(doc?.['when']).toBeInstanceOf(Date);
      expect((doc?.['when'] as Date).getTime()).toBe(when.getTime());
      expect((doc?.['log'] as { at: Date }[])[0]?.at).toBeInstanceOf(Date);
      expect(await c.countDocuments({ when })).toBe(1);
      expect(await c.countDocuments({ when: { $lt: new Date('2014-01-01T00:00:00Z') } })).toBe(0);
    });

    it('crud - deleteOne and deleteMany report counts', async () => {
      const c = db().collection('del');
      await c.insertMany([{ k: 'a' }, { k: 'a' }, { k: 'b' }, { k: 'c' }]);
      expect((await c.deleteOne({ k: 'a' })).deletedCount).toBe(1);
      expect((await c.deleteMany({ k: { $in: ['a', 'b'] } })).deletedCount).toBe(2);
      expect((await c.deleteOne({ k: 'zzz' })).deletedCount).toBe(0);
      expect(await c.countDocuments()).toBe(1);
      expect((await c.deleteMany({})).deletedCount).toBe(1);
      expect(await c.estimatedDocumentCount()).toBe(0);
    });

    it('crud - listCollections and dropCollection', async () => {
      await db().collection('b_coll').insertOne({ x: 1 });
      await db().collection('a_coll').insertOne({ x: 1 });
      expect(await db().listCollections()).toEqual(['a_coll', 'b_coll']);
      expect(await db().dropCollection('a_coll')).toBe(true);
      expect(await db().dropCollection('a_coll')).toBe(false);
      expect(await db().listCollections()).toEqual(['b_coll']);
      const again = db().collection('a_coll');
      expect(await again.countDocuments()).toBe(0);
      await again.insertOne({ y: 2 });
      expect(await again.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ y: 2 }]);
    });

    it('crud - invalid collection names are rejected', async () => {
      await expectDbError(() => db().collection(''), 'DB_INVALID_NAME');
      await expectDbError(() => db().collection('a$b'), 'DB_INVALID_NAME');
      await expectDbError(() => db().collection('system.users'), 'DB_INVALID_NAME');
    });

    it('crud - concurrent writes are all applied', async () => {
      const c = db().collection('concurrent');
      await c.insertOne({ _id: 'counter', n: 0 });
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) {
        writes.push(c.insertOne({ _id: `d${i}`, i }));
        writes.push(c.updateOne({ _id: 'counter' }, { $inc: { n: 1 } }));
      }
      await Promise.all(writes);
      expect(await c.countDocuments({ i: { $exists: true } })).toBe(100);
      expect((await c.findOne({ _id: 'counter' }))?.['n']).toBe(100);
    });
  });
}
