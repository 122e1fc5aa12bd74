/** Recovery of the embedded engine: torn and damaged journals, compaction, interrupted compaction. */
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Document } from '@insights/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectDbError } from './conformance-helpers.ts';
import type { EmbeddedDb } from './embedded-db.ts';
import { createDbProvider, type DbProvider } from './index.ts';

let dir: string;
const collDir = (coll = 'c'): string => path.join(dir, 'm', coll);
const journal1 = (coll = 'c'): string => path.join(collDir(coll), 'journal-00000001.jsonl');

async function withDb<R>(fn: (db: EmbeddedDb, provider: DbProvider) => Promise<R>, compactMinBytes?: number): Promise<R> {
  const provider = createDbProvider({ kind: 'embedded', dir, ...(compactMinBytes ? { compactMinBytes } : {}) });
  try {
    return await fn((await provider.forModule('m')) as EmbeddedDb, provider);
  } finally {
    await provider.close();
  }
}

const all = (db: EmbeddedDb, coll = 'c'): Promise<Document[]> =>
  db
    .collection(coll)
    .find({}, { sort: { _id: 1 } })
    .toArray();

describe('embedded recovery', () => {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-recovery-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recovery - a torn last journal line is ignored and cut off before new appends', async () => {
    await withDb(async (db) => {
      await db.collection('c').insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, v: i })));
    });
    await appendFile(journal1(), '{"p":{"_id":"torn","v":'); // a write cut by a crash
    await withDb(async (db) => {
      expect(await db.collection('c').countDocuments()).toBe(10);
      expect(await db.collection('c').findOne({ _id: 'torn' })).toBeNull();
      await db.collection('c').insertOne({ _id: 'after', v: 1 });
    });
    const text = await readFile(journal1(), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    await withDb(async (db) => expect(await db.collection('c').countDocuments()).toBe(11));
  });

  it('recovery - a complete but unreadable last line is also a torn write', async () => {
    await withDb(async (db) => void (await db.collection('c').insertOne({ _id: 1 })));
    await appendFile(journal1(), '\u0000\u0000garbage\n');
    await withDb(async (db) => expect(await all(db)).toEqual([{ _id: 1 }]));
  });

  it('recovery - damage before the last line is DB_CORRUPT_JOURNAL naming the file', async () => {
    await withDb(async (db) => void (await db.collection('c').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }])));
    const lines = (await readFile(journal1(), 'utf8')).split('\n');
    lines[1] = '{"p":{"_id":2,BROKEN';
    await writeFile(journal1(), lines.join('\n'));
    await withDb(async (db) => {
      const err = await expectDbError(db.collection('c').findOne({}), 'DB_CORRUPT_JOURNAL');
      expect(err.message).toContain(journal1());
      expect(err.file).toBe(journal1());
      // Other collections of the module still work.
      await db.collection('other').insertOne({ ok: true });
    });
  });

  it('recovery - compaction writes a snapshot, drops old journals, and reopens to the same state', async () => {
    const when = new Date('2020-02-02T02:02:02.002Z');
    let before: Document[] = [];
    await withDb(async (db) => {
      const c = db.collection('c');
      await c.createIndex({ email: 1 }, { unique: true });
      // Concurrent writes while compactions (threshold 4 KiB) run underneath.
      await Promise.all(Array.from({ length: 300 }, (_, i) => c.insertOne({ _id: i, email: `u${i}@x`, when, nan: NaN })));
      await Promise.all(Array.from({ length: 100 }, (_, i) => c.updateOne({ _id: i }, { $set: { v: i * 2 } })));
      await c.deleteMany({ _id: { $gte: 250 } });
      await db.compact();
      before = await all(db);
      const files = await readdir(collDir());
      expect(files).toContain('snapshot.jsonl');
      expect(files.filter((f) => f.startsWith('journal-')).length).toBeLessThanOrEqual(1);
    }, 4096);
    await withDb(async (db) => {
      const after = await all(db);
      expect(after).toEqual(before);
      expect(after).toHaveLength(250);
      expect(after[0]?.['when']).toEqual(when);
      expect(after[0]?.['nan']).toBeNaN();
      await expectDbError(db.collection('c').insertOne({ email: 'u1@x' }), 'DB_DUPLICATE_KEY');
    });
  });

  it('recovery - a crash after the snapshot but before old journals were deleted', async () => {
    await withDb(
      async (db) =>
        void (await db.collection('c').insertMany([
          { _id: 1, v: 1 },
          { _id: 2, v: 2 },
        ])),
    );
    const saved = path.join(dir, 'journal-1.saved');
    await copyFile(journal1(), saved);
    await withDb(async (db) => {
      expect(await db.collection('c').countDocuments()).toBe(2); // opens the collection
      await db.compact();
      expect(await readdir(collDir())).not.toContain('journal-00000001.jsonl');
      await db.collection('c').deleteOne({ _id: 1 });
      await db.collection('c').updateOne({ _id: 2 }, { $set: { v: 20 } });
    });
    await copyFile(saved, journal1()); // as if the deletion never happened
    await withDb(async (db) => expect(await all(db)).toEqual([{ _id: 2, v: 20 }]));
    expect(await readdir(collDir())).not.toContain('journal-00000001.jsonl');
  });

  it('recovery - a damaged snapshot is DB_CORRUPT_SNAPSHOT; a leftover temp snapshot is ignored', async () => {
    await withDb(async (db) => {
      await db.collection('c').insertOne({ _id: 1 });
      await db.compact();
    });
    await writeFile(path.join(collDir(), 'snapshot.jsonl.tmp'), 'half a snapsh');
    await withDb(async (db) => expect(await all(db)).toEqual([{ _id: 1 }]));
    const snap = path.join(collDir(), 'snapshot.jsonl');
    const text = await readFile(snap, 'utf8');
    await writeFile(snap, text.slice(0, text.lastIndexOf('{"end"')));
    await withDb(async (db) => void (await expectDbError(all(db), 'DB_CORRUPT_SNAPSHOT')));
  });

  it('recovery - concurrent writers on several collections share fsyncs and all land', async () => {
    await withDb(async (db) => {
      const writes = [];
      for (let i = 0; i < 300; i++) writes.push(db.collection(`c${i % 3}`).insertOne({ _id: i }));
      await Promise.all(writes);
    });
    await withDb(async (db) => {
      expect(await db.listCollections()).toEqual(['c0', 'c1', 'c2']);
      for (const name of ['c0', 'c1', 'c2']) expect(await db.collection(name).countDocuments()).toBe(100);
    });
    const lines = (await readFile(journal1('c0'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(100);
  });

  it('lock - one provider per database directory; stale locks are taken over', async () => {
    const first = createDbProvider({ kind: 'embedded', dir });
    await (await first.forModule('m')).collection('c').insertOne({ _id: 1 });
    const second = createDbProvider({ kind: 'embedded', dir });
    const err = await expectDbError((await second.forModule('m')).collection('c').findOne({}), 'DB_LOCKED');
    expect(err.message).toContain(String(process.pid));
    await first.close();
    expect(await (await second.forModule('m')).collection('c').findOne({})).toEqual({ _id: 1 });
    await second.close();

    const lock = path.join(dir, 'm', 'LOCK');
    await writeFile(lock, `${process.ppid}\n`); // a live process that is not us
    await withDb(async (db) => void (await expectDbError(db.collection('c').findOne({}), 'DB_LOCKED')));
    await writeFile(lock, '99999999\n'); // no such process (above any pid_max)
    await withDb(async (db) => expect(await db.collection('c').countDocuments()).toBe(1));
    expect(await readdir(path.join(dir, 'm'))).not.toContain('LOCK');
  });
});
