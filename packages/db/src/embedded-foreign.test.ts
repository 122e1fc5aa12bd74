import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FOREIGN_BYTES } from './embedded-foreign.ts';
import { createDbProvider, type DbProvider } from './index.ts';

describe(`embedded engine - other collections past ${MAX_FOREIGN_BYTES / 1024 / 1024} MiB`, () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;
  const pad = 'x'.repeat(10_000);
  const count = Math.ceil((MAX_FOREIGN_BYTES * 1.2) / pad.length);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-foreign-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('foreign');
    const big = db.collection('big');
    for (let i = 0; i < count; i += 500)
      await big.insertMany(Array.from({ length: Math.min(500, count - i) }, (_, j) => ({ _id: i + j, key: `k${i + j}`, pad })));
    await big.createIndex({ key: 1 });
    await db.collection('small').insertMany([
      { _id: 1, key: 'k7', next: 'k8' },
      { _id: 2, key: 'k9', next: 'k10' },
    ]);
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('foreign - $lookup with a pipeline over a collection too large to hold fails with DB_LOOKUP_TOO_LARGE naming stage and collection', async () => {
    const err = await db
      .collection('small')
      .aggregate([
        { $lookup: { from: 'big', let: { k: '$key' }, pipeline: [{ $match: { $expr: { $eq: ['$key', '$$k'] } } }], as: 'b' } },
      ])
      .toArray()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_LOOKUP_TOO_LARGE', namespace: 'foreign.small' });
    expect((err as Error).message).toMatch(/\$lookup on foreign\.small reads collection big whole.*foreignField/);
  });

  it('foreign - $graphLookup over it fails the same way, naming $graphLookup', async () => {
    await expect(
      db
        .collection('small')
        .aggregate([
          { $graphLookup: { from: 'big', startWith: '$next', connectFromField: 'key', connectToField: 'key', as: 'g' } },
        ])
        .toArray(),
    ).rejects.toMatchObject({ code: 'DB_LOOKUP_TOO_LARGE', message: expect.stringMatching(/^\$graphLookup .* big /) });
  });

  it('foreign - the equality $lookup and $unionWith stream it instead', async () => {
    const joined = await db
      .collection('small')
      .aggregate([{ $lookup: { from: 'big', localField: 'next', foreignField: 'key', as: 'b' } }, { $project: { b: '$b._id' } }])
      .toArray();
    expect(joined).toEqual([
      { _id: 1, b: [8] },
      { _id: 2, b: [10] },
    ]);
    const counted = await db
      .collection('small')
      .aggregate([{ $unionWith: 'big' }, { $count: 'n' }])
      .toArray();
    expect(counted).toEqual([{ n: count + 2 }]);
  });

  it('foreign - an equality $lookup whose matches for one chunk pass the limit fails with DB_LOOKUP_TOO_LARGE', async () => {
    const wide = db.collection('wide');
    await wide.insertOne({ _id: 1, keys: Array.from({ length: count }, (_, i) => `k${i}`) });
    await expect(
      wide.aggregate([{ $lookup: { from: 'big', localField: 'keys', foreignField: 'key', as: 'b' } }]).toArray(),
    ).rejects.toMatchObject({
      code: 'DB_LOOKUP_TOO_LARGE',
      message: expect.stringMatching(/^\$lookup from big \(on foreign\.wide\)/),
    });
  });

  it('foreign - small collections read whole still join ($graphLookup, $lookup with a pipeline)', async () => {
    const out = await db
      .collection('small')
      .aggregate([
        { $match: { _id: 1 } },
        { $graphLookup: { from: 'small', startWith: '$key', connectFromField: 'key', connectToField: 'key', as: 'g' } },
        { $lookup: { from: 'small', let: { n: '$next' }, pipeline: [{ $match: { $expr: { $eq: ['$key', '$$n'] } } }], as: 'l' } },
        { $project: { g: '$g._id', l: '$l._id' } },
      ])
      .toArray();
    expect(out).toEqual([{ _id: 1, g: [1], l: [] }]);
  });
});
