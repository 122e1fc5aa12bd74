/**
 * The embedded engine's write paths that skip work (savepoints of the group commit, a taken _id
 * inserting nothing, updateOne on the document it read, replaceOne compared by SQLite, reads of a
 * few _ids sorted in memory) keep MongoDB's answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '@insights/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectDbError } from './conformance-helpers.ts';
import { createDbProvider, type DbProvider } from './index.ts';
import { PAGE_ROWS } from './sqlite-store.ts';

let dir: string;
let provider: DbProvider;
let db: Db;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'insights-db-writes-'));
  provider = createDbProvider({ kind: 'embedded', dir });
  db = await provider.forModule('writes');
});

afterEach(async () => {
  await provider.close();
  await rm(dir, { recursive: true, force: true });
});

const ids = (docs: readonly { _id: unknown }[]): unknown[] => docs.map((d) => d._id);

describe('embedded writes', () => {
  it('embedded writes - a taken _id in a batch of one turn fails alone; the others are stored', async () => {
    const c = db.collection('c');
    await c.insertOne({ _id: 'b', v: 0 });
    const results = await Promise.allSettled([
      c.insertOne({ _id: 'a' }),
      c.insertOne({ _id: 'b', v: 1 }),
      c.insertOne({ _id: 'c' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = await expectDbError(Promise.reject((results[1] as PromiseRejectedResult).reason), 'DB_DUPLICATE_KEY');
    expect(err.message).toContain('writes.c');
    expect(err.message).toContain('"b"');
    expect(err.key).toEqual({ _id: 'b' });
    expect(await c.find().toArray()).toEqual([{ _id: 'b', v: 0 }, { _id: 'a' }, { _id: 'c' }]);
  });

  it('embedded writes - a write refused after its row was written (null key of a unique index) is undone alone', async () => {
    const c = db.collection('c');
    await c.createIndex({ k: 1 }, { unique: true });
    await c.insertOne({ _id: 'first' }); // k missing: null for the index
    const results = await Promise.allSettled([
      c.insertOne({ _id: 'x', k: 1 }),
      c.insertOne({ _id: 'second' }), // a second null key
      c.updateOne({ _id: 'x' }, { $set: { n: 1 } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expectDbError(Promise.reject((results[1] as PromiseRejectedResult).reason), 'DB_DUPLICATE_KEY');
    expect(await c.find().toArray()).toEqual([{ _id: 'first' }, { _id: 'x', k: 1, n: 1 }]);
  });

  it('embedded writes - _id lists come back in insertion order, short or longer than a page', async () => {
    const c = db.collection('c');
    const order = Array.from({ length: PAGE_ROWS + 10 }, (_, i) => `id-${(i * 7919) % 1000}`);
    await c.insertMany(order.map((_id) => ({ _id })));
    const few = [order[5]!, 'absent', order[1]!, order[3]!]; // insertion order is not key order
    expect(ids(await c.find({ _id: { $in: few } }).toArray())).toEqual(order.filter((id) => few.includes(id)));
    const many = [...order].reverse();
    expect(ids(await c.find({ _id: { $in: many } }).toArray())).toEqual(order);
    expect(ids(await c.find({ _id: { $in: few } }, { sort: { _id: -1 } }).toArray())).toEqual(
      order
        .filter((id) => few.includes(id))
        .sort()
        .reverse(),
    );
  });

  it('embedded writes - an update or replacement that would change _id is refused, naming the _id it had', async () => {
    const c = db.collection('c');
    await c.insertMany([{ _id: 'a' }, { _id: { k: 1 } }]);
    await expectDbError(c.updateOne({ _id: 'a' }, { $set: { _id: 'b' } }), 'DB_INVALID_UPDATE');
    await expectDbError(c.updateOne({ _id: { k: 1 } }, { $set: { '_id.k': 2 } }), 'DB_INVALID_UPDATE');
    const replaced = await expectDbError(c.replaceOne({ _id: 'a' }, { _id: 'b' }), 'DB_INVALID_UPDATE');
    expect(replaced.message).toContain('_id of "a"');
    expect(await c.find().toArray()).toEqual([{ _id: 'a' }, { _id: { k: 1 } }]);
  });

  it('embedded writes - an upsert of $setOnInsert alone on an existing document matches without modifying', async () => {
    const c = db.collection('c');
    expect(await c.updateOne({ _id: 'a' }, { $setOnInsert: { v: 1 } }, { upsert: true })).toMatchObject({
      matchedCount: 0,
      upsertedId: 'a',
    });
    expect(await c.updateOne({ _id: 'a' }, { $setOnInsert: { v: 2 } }, { upsert: true })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 0,
      upsertedCount: 0,
    });
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', v: 1 });
  });

  it('embedded writes - replaceOne with the stored document (Dates too) modifies nothing; a changed one is written', async () => {
    const c = db.collection('c');
    const at = new Date(1_700_000_000_000);
    await c.insertOne({ _id: 'a', at, n: 1, rev: 0 });
    expect(await c.replaceOne({ _id: 'a' }, { at: new Date(at.getTime()), n: 1, rev: 0 })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 0,
    });
    expect(await c.replaceOne({ _id: 'a', rev: 0 }, { at, n: 2, rev: 1 })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await c.replaceOne({ _id: 'a', rev: 0 }, { at, n: 3, rev: 1 })).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
    expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', at, n: 2, rev: 1 });
  });
});
