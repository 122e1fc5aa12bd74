/** Conformance: update operators, upserts, replacements, findOneAnd*. */
import { describe, expect, it } from 'vitest';
import { expectDbError, type DbGetter } from './conformance-helpers.ts';

const HEX_ID = /^[0-9a-f]{24}$/;

export function describeUpdateConformance(db: DbGetter): void {
  describe('update', () => {
    it('update - $set $inc $unset $push $addToSet in one update', async () => {
      const c = db().collection('u1');
      await c.insertOne({ _id: 'a', n: 1, gone: true, list: [1], set: ['x'], deep: { k: 1 } });
      const r = await c.updateOne(
        { _id: 'a' },
        { $set: { 'deep.k': 2, added: 'y' }, $inc: { n: 5 }, $unset: { gone: '' }, $push: { list: 2 }, $addToSet: { set: 'x' } },
      );
      expect(r).toMatchObject({ acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null });
      expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 6, list: [1, 2], set: ['x'], deep: { k: 2 }, added: 'y' });
      await c.updateOne({ _id: 'a' }, { $addToSet: { set: { $each: ['x', 'z'] } }, $push: { list: { $each: [3, 4] } } });
      expect(await c.findOne({ _id: 'a' }, { projection: { set: 1, list: 1, _id: 0 } })).toEqual({
        set: ['x', 'z'],
        list: [1, 2, 3, 4],
      });
    });

    it('update - an update that changes nothing counts as matched, not modified', async () => {
      const c = db().collection('u2');
      await c.insertOne({ _id: 'a', v: 1 });
      expect(await c.updateOne({ _id: 'a' }, { $set: { v: 1 } })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
      expect(await c.updateOne({ _id: 'zz' }, { $set: { v: 1 } })).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
    });

    it('update - updateMany changes every match', async () => {
      const c = db().collection('u3');
      await c.insertMany([
        { g: 1, v: 0 },
        { g: 1, v: 0 },
        { g: 2, v: 0 },
      ]);
      expect(await c.updateMany({ g: 1 }, { $inc: { v: 1 } })).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
      expect(await c.countDocuments({ v: 1 })).toBe(2);
    });

    it('update - upsert builds the document from filter equalities, the update and $setOnInsert', async () => {
      const c = db().collection('u4');
      const r = await c.updateOne(
        { course: 'cs101', 'meta.kind': 'total' },
        { $inc: { count: 1 }, $setOnInsert: { created: 'now' } },
        { upsert: true },
      );
      expect(r).toMatchObject({ matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
      expect(r.upsertedId).toMatch(HEX_ID);
      const again = await c.updateOne(
        { course: 'cs101', 'meta.kind': 'total' },
        { $inc: { count: 1 }, $setOnInsert: { created: 'later' } },
        { upsert: true },
      );
      expect(again).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null });
      expect(await c.findOne({}, { projection: { _id: 0 } })).toEqual({
        course: 'cs101',
        meta: { kind: 'total' },
        count: 2,
        created: 'now',
      });
      const withId = await c.updateOne({ _id: 'fixed' }, { $set: { v: 1 } }, { upsert: true });
      expect(withId.upsertedId).toBe('fixed');
    });

    it('update - a document without operators is refused; replaceOne replaces', async () => {
      const c = db().collection('u5');
      await c.insertOne({ _id: 'a', v: 1, w: 2 });
      await expectDbError(c.updateOne({ _id: 'a' }, { v: 2 } as object), 'DB_INVALID_UPDATE');
      await expectDbError(c.replaceOne({ _id: 'a' }, { $set: { v: 2 } }), 'DB_INVALID_UPDATE');
      expect(await c.replaceOne({ _id: 'a' }, { v: 3 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
      expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', v: 3 });
      const up = await c.replaceOne({ name: 'new' }, { name: 'new', v: 9 }, { upsert: true });
      expect(up.upsertedCount).toBe(1);
      expect(up.upsertedId).toMatch(HEX_ID);
      expect(await c.findOne({ name: 'new' }, { projection: { _id: 0 } })).toEqual({ name: 'new', v: 9 });
    });

    it('update - _id is immutable', async () => {
      const c = db().collection('u6');
      await c.insertOne({ _id: 'a', v: 1 });
      await expectDbError(c.updateOne({ _id: 'a' }, { $set: { _id: 'b' } }), 'DB_INVALID_UPDATE');
      await expectDbError(c.replaceOne({ _id: 'a' }, { _id: 'b', v: 2 }), 'DB_INVALID_UPDATE');
      expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', v: 1 });
    });

    it('update - more operators: $pull $pop $min $max $mul $rename $currentDate', async () => {
      const c = db().collection('u7');
      await c.insertOne({ _id: 'a', list: [1, 2, 3, 2], q: [1, 2, 3], lo: 5, hi: 5, m: 3, old: 'x' });
      await c.updateOne(
        { _id: 'a' },
        {
          $pull: { list: 2 },
          $pop: { q: -1 },
          $min: { lo: 2 },
          $max: { hi: 9 },
          $mul: { m: 2 },
          $rename: { old: 'renamed' },
          $currentDate: { at: true },
        },
      );
      const doc = await c.findOne({ _id: 'a' });
      expect(doc).toMatchObject({ list: [1, 3], q: [2, 3], lo: 2, hi: 9, m: 6, renamed: 'x' });
      expect(doc?.['old']).toBeUndefined();
      expect(doc?.['at']).toBeInstanceOf(Date);
    });

    it('update - positional $ and arrayFilters', async () => {
      const c = db().collection('u8');
      await c.insertOne({
        _id: 'a',
        items: [
          { sku: 'x', n: 1 },
          { sku: 'y', n: 1 },
          { sku: 'z', n: 5 },
        ],
      });
      await c.updateOne({ _id: 'a', 'items.sku': 'y' }, { $inc: { 'items.$.n': 10 } });
      await c.updateOne({ _id: 'a' }, { $set: { 'items.$[big].flag': true } }, { arrayFilters: [{ 'big.n': { $gte: 5 } }] });
      expect((await c.findOne({ _id: 'a' }))?.['items']).toEqual([
        { sku: 'x', n: 1 },
        { sku: 'y', n: 11, flag: true },
        { sku: 'z', n: 5, flag: true },
      ]);
    });

    it('update - findOneAndUpdate returns before or after; findOneAndDelete returns the removed document', async () => {
      const c = db().collection('u9');
      await c.insertMany([
        { _id: 'a', n: 1 },
        { _id: 'b', n: 2 },
      ]);
      expect(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } })).toEqual({ _id: 'a', n: 1 });
      expect(await c.findOneAndUpdate({ _id: 'a' }, { $inc: { n: 1 } }, { returnDocument: 'after' })).toEqual({ _id: 'a', n: 3 });
      expect(await c.findOneAndUpdate({ _id: 'none' }, { $set: { n: 1 } })).toBeNull();
      const seq = await c.findOneAndUpdate({ _id: 'seq' }, { $inc: { v: 1 } }, { upsert: true, returnDocument: 'after' });
      expect(seq).toEqual({ _id: 'seq', v: 1 });
      expect(await c.findOneAndDelete({}, { sort: { n: -1 } })).toEqual({ _id: 'a', n: 3 });
      expect(await c.findOneAndDelete({ _id: 'a' })).toBeNull();
    });
  });
}
