import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider } from '@insights/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '@insights/sdk';
import { docId, KeyedUpdateConflict, updateKeyed, updateKeyedMany } from '../src/index.ts';

interface Counter {
  ids: string[];
  n: number;
}

/** Adds event ids to a set; the count is derived, so redelivery changes nothing. */
const addIds =
  (ids: string[]) =>
  (cur: Counter | null): Counter | null => {
    const known = new Set(cur?.ids ?? []);
    const fresh = ids.filter((id) => !known.has(id));
    if (fresh.length === 0) return null;
    const all = [...known, ...fresh];
    return { ids: all, n: all.length };
  };

describe('updateKeyed - read-modify-write per key', () => {
  let dir: string;
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keyed-doc-'));
    const provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('keyed');
    close = () => provider.close();
  });
  afterAll(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });

  it('docId - unambiguous for parts containing separators', () => {
    expect(docId(['a|b', 'c'])).not.toBe(docId(['a', 'b|c']));
  });

  it('creates, updates, and skips the write when nothing changes', async () => {
    const c = db.collection('counters');
    expect(await updateKeyed(c, 'k1', addIds(['e1', 'e2']))).toBe(true);
    expect(await updateKeyed(c, 'k1', addIds(['e2']))).toBe(false);
    expect(await updateKeyed(c, 'k1', addIds(['e3']))).toBe(true);
    expect(await c.findOne({ _id: 'k1' })).toMatchObject({ n: 3, _rev: 2 });
  });

  it('concurrent writers to one key lose no update', async () => {
    const c = db.collection('concurrent');
    await Promise.all(Array.from({ length: 20 }, (_, i) => updateKeyed(c, 'hot', addIds([`e${i}`]))));
    expect(await c.findOne({ _id: 'hot' })).toMatchObject({ n: 20 });
  });

  it('gives up with a coded error after the retry budget', async () => {
    const c = db.collection('stubborn');
    await updateKeyed(c, 'x', addIds(['a']));
    // A writer that changes the document under us every time.
    let i = 0;
    const racing = (cur: Counter | null) => {
      void c.updateOne({ _id: 'x' }, { $inc: { _rev: 1 } });
      return addIds([`r${i++}`])(cur);
    };
    const err = await updateKeyed(c, 'x', racing, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyedUpdateConflict);
    expect((err as KeyedUpdateConflict).code).toBe('KEYED_UPDATE_CONFLICT');
  });

  it('updateKeyedMany - a batch of keys: one read, writes together, several updates of one key in order', async () => {
    const c = db.collection('many');
    await updateKeyed(c, 'old', addIds(['a']));
    const written = await updateKeyedMany<Counter>(c, [
      ['old', addIds(['b'])],
      ['new', addIds(['x'])],
      ['new', addIds(['y', 'x'])],
      ['same', addIds([])],
    ]);
    expect(written).toBe(2);
    expect(await c.findOne({ _id: 'old' })).toMatchObject({ n: 2, _rev: 2 });
    expect(await c.findOne({ _id: 'new' })).toMatchObject({ ids: ['x', 'y'], n: 2, _rev: 1 });
    expect(await c.findOne({ _id: 'same' })).toBeNull();
    // Applied again (a redelivered batch): nothing changes.
    expect(await updateKeyedMany<Counter>(c, [['new', addIds(['x', 'y'])]])).toBe(0);
  });

  it('updateKeyedMany - batches racing on the same keys lose no update', async () => {
    const c = db.collection('many-concurrent');
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        updateKeyedMany<Counter>(c, [
          ['k1', addIds([`e${i}`])],
          ['k2', addIds([`e${i}`])],
        ]),
      ),
    );
    expect(await c.findOne({ _id: 'k1' })).toMatchObject({ n: 10 });
    expect(await c.findOne({ _id: 'k2' })).toMatchObject({ n: 10 });
  });
});
