/** Opening data folders: migration from the journal format, damaged journals, and the directory lock. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectDbError } from './conformance-helpers.ts';
import { createDbProvider } from './index.ts';
import { JOURNAL_BACKUP_DIR } from './journal-migration.ts';
import type { Db } from '@insights/sdk';

let dir: string;

async function withDb<R>(fn: (db: Db) => Promise<R>): Promise<R> {
  const provider = createDbProvider({ kind: 'embedded', dir });
  try {
    return await fn(await provider.forModule('m'));
  } finally {
    await provider.close();
  }
}

/** Writes one collection in the journal format of earlier versions. */
async function writeJournalCollection(coll: string, snapshot: string[], journal: string[]): Promise<string> {
  const cdir = path.join(dir, 'm', coll);
  await mkdir(cdir, { recursive: true });
  await writeFile(path.join(cdir, 'snapshot.jsonl'), `${snapshot.join('\n')}\n`);
  await writeFile(path.join(cdir, 'journal-00000002.jsonl'), `${journal.join('\n')}\n`);
  return cdir;
}

describe('embedded open', () => {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-open-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('migration - a journal-format folder is migrated on first open: documents, deletes, Dates, indexes', async () => {
    const idx = { name: 'email_1', fields: ['email'], key: { email: 1 }, unique: true, sparse: false };
    await writeJournalCollection(
      'users',
      [
        JSON.stringify({ v: 1, gen: 2, indexes: [idx] }),
        JSON.stringify({ _id: 'u1', email: 'a@x', at: { $date: '2026-01-02T03:04:05.000Z' } }),
        JSON.stringify({ _id: 'u2', email: 'b@x' }),
        JSON.stringify({ end: 2 }),
      ],
      [JSON.stringify({ p: { _id: 'u3', email: 'c@x' } }), JSON.stringify({ d: 'u2' }), '{"p":{"_id":"torn'],
    );
    await writeJournalCollection(
      'dropped-index',
      [JSON.stringify({ v: 1, gen: 2, indexes: [] }), JSON.stringify({ end: 0 })],
      [
        JSON.stringify({ p: { _id: 1, k: 1 } }),
        JSON.stringify({ ci: { ...idx, name: 'k_1', fields: ['k'], key: { k: 1 } } }),
        JSON.stringify({ di: 'k_1' }),
      ],
    );
    await withDb(async (db) => {
      const users = db.collection('users');
      expect(await users.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
        { _id: 'u1', email: 'a@x', at: new Date('2026-01-02T03:04:05.000Z') },
        { _id: 'u3', email: 'c@x' },
      ]);
      expect((await users.listIndexes()).map((i) => i.name)).toEqual(['_id_', 'email_1']);
      await expectDbError(users.insertOne({ email: 'a@x' }), 'DB_DUPLICATE_KEY');
      expect(await db.collection('dropped-index').countDocuments()).toBe(1);
      expect((await db.collection('dropped-index').listIndexes()).map((i) => i.name)).toEqual(['_id_']);
      expect(await db.listCollections()).toEqual(['dropped-index', 'users']);
      await users.insertOne({ _id: 'u4', email: 'd@x' });
    });
    const entries = await readdir(path.join(dir, 'm'));
    expect(entries).toContain(JOURNAL_BACKUP_DIR);
    expect(entries).not.toContain('users');
    expect((await readdir(path.join(dir, 'm', JOURNAL_BACKUP_DIR))).sort()).toEqual(['dropped-index', 'users']);
    // The second open reads SQLite only: writes made after the migration are there.
    await withDb(async (db) => expect(await db.collection('users').countDocuments()).toBe(3));
  });

  it('migration - damage before the last journal line refuses to open, names the file and leaves it untouched', async () => {
    const cdir = await writeJournalCollection(
      'c',
      [JSON.stringify({ v: 1, gen: 2, indexes: [] }), JSON.stringify({ end: 0 })],
      [JSON.stringify({ p: { _id: 1 } }), 'not json', JSON.stringify({ p: { _id: 2 } })],
    );
    await withDb(async (db) => {
      const err = await expectDbError(db.collection('c').findOne({}), 'DB_CORRUPT_JOURNAL');
      expect(err.message).toContain('journal-00000002.jsonl');
    });
    expect((await readdir(cdir)).sort()).toEqual(['journal-00000002.jsonl', 'snapshot.jsonl']);
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
