import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, Document } from '@insights/sdk';
import { Aggregator } from 'mingo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalityLookup, joinValues, LOOKUP_CHUNK_DOCS } from './embedded-lookup.ts';
import { unionWithSpec } from './embedded-pipeline.ts';
import { createDbProvider, type DbProvider } from './index.ts';

describe('embedded engine - streaming $lookup and $unionWith', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-lookup-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('lookup');
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lookup - only the equality form streams; `pipeline` and `let` are left to mingo', () => {
    const eq = { from: 'f', localField: 'a', foreignField: 'b', as: 'j' };
    expect(equalityLookup({ $lookup: eq })).toEqual(eq);
    expect(equalityLookup({ $lookup: { ...eq, pipeline: [] } })).toBeUndefined();
    expect(equalityLookup({ $lookup: { ...eq, let: { x: '$a' } } })).toBeUndefined();
    expect(equalityLookup({ $lookup: { ...eq, localField: '$a' } })).toBeUndefined();
    expect(equalityLookup({ $lookup: { ...eq, from: 3 } })).toBeUndefined();
    expect(unionWithSpec({ $unionWith: 'c' })).toEqual({ coll: 'c', pipeline: [] });
    expect(unionWithSpec({ $unionWith: { coll: 'c', pipeline: [{ $limit: 1 }] } })).toEqual({
      coll: 'c',
      pipeline: [{ $limit: 1 }],
    });
    expect(unionWithSpec({ $unionWith: { pipeline: [{ $documents: [] }] } })).toBeUndefined();
  });

  it('lookup - join values: array elements, null for missing, nothing for an empty array', () => {
    expect(joinValues({ a: [1, 2] }, 'a')).toEqual([1, 2]);
    expect(joinValues({}, 'a')).toEqual([null]);
    expect(joinValues({ a: null }, 'a')).toEqual([null]);
    expect(joinValues({ a: [] }, 'a')).toEqual([]);
    expect(joinValues({ a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }] }, 'a.b')).toEqual([1, 2, 3]);
  });

  it(`lookup - inputs over many chunks of ${LOOKUP_CHUNK_DOCS} join as mingo joins them, with or without a foreign index`, async () => {
    const users = Array.from({ length: 700 }, (_, i) => ({
      _id: `u${i}`,
      n: i,
      ...(i % 50 === 0 ? {} : { group: i % 60 === 0 ? null : `g${i % 40}` }),
      tags: i % 3 === 0 ? [`t${i % 7}`, `t${(i + 1) % 7}`] : `t${i % 7}`,
    }));
    const groups = Array.from({ length: 45 }, (_, i) => ({ _id: `G${i}`, key: i % 44 === 0 ? null : `g${i}`, tag: `t${i % 9}` }));
    await db.collection('users').insertMany(users);
    const g = db.collection('groups');
    await g.insertMany(groups);
    const pipelines: Document[][] = [
      [{ $lookup: { from: 'groups', localField: 'group', foreignField: 'key', as: 'g' } }],
      [{ $match: { n: { $gte: 100 } } }, { $lookup: { from: 'groups', localField: 'tags', foreignField: 'tag', as: 'g' } }],
      [
        { $lookup: { from: 'groups', localField: 'group', foreignField: 'key', as: 'g' } },
        { $unwind: '$g' },
        { $group: { _id: '$g._id', n: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ],
    ];
    const byId = (docs: Document[]): Document[] =>
      docs.map((d) =>
        Array.isArray(d['g'])
          ? { ...d, g: [...(d['g'] as Document[])].sort((a, b) => String(a['_id']).localeCompare(String(b['_id']))) }
          : d,
      );
    for (const withIndex of [false, true]) {
      if (withIndex) {
        await g.createIndex({ key: 1 });
        await g.createIndex({ tag: 1 });
      }
      for (const pipeline of pipelines) {
        const expected = new Aggregator(pipeline, {
          idKey: '_id',
          collectionResolver: (name) => (name === 'groups' ? groups : []),
        }).run(users);
        expect(byId(await db.collection('users').aggregate(pipeline).toArray())).toEqual(byId(expected));
      }
    }
  });

  it('lookup - a joined document shared by several inputs is a separate copy in each', async () => {
    const out = await db
      .collection('users')
      .aggregate([
        { $match: { n: { $in: [1, 41] } } },
        { $lookup: { from: 'groups', localField: 'group', foreignField: 'key', as: 'g' } },
      ])
      .toArray();
    const [a, b] = out.map((d) => (d['g'] as Document[])[0]);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
  });

  it('unionWith - nests, and a $lookup inside the other collection’s pipeline streams too', async () => {
    const out = await db
      .collection('groups')
      .aggregate([
        { $match: { _id: 'G1' } },
        { $project: { _id: 1 } },
        {
          $unionWith: {
            coll: 'users',
            pipeline: [
              { $match: { n: { $lt: 2 } } },
              { $lookup: { from: 'groups', localField: 'group', foreignField: 'key', as: 'g' } },
              { $project: { _id: 1, g: '$g._id' } },
              { $unionWith: { coll: 'groups', pipeline: [{ $match: { _id: 'G2' } }, { $project: { _id: 1 } }] } },
            ],
          },
        },
      ])
      .toArray();
    expect(out).toEqual([{ _id: 'G1' }, { _id: 'u0', g: ['G0', 'G44'] }, { _id: 'u1', g: ['G1'] }, { _id: 'G2' }]);
  });

  it('unionWith - a pipeline with a stage the engine refuses fails with DB_UNSUPPORTED', async () => {
    await expect(
      db
        .collection('groups')
        .aggregate([{ $unionWith: { coll: 'users', pipeline: [{ $out: 'x' }] } }])
        .toArray(),
    ).rejects.toMatchObject({ code: 'DB_UNSUPPORTED' });
  });

  it('lookup - a cartesian join is bounded per output document and per chunk, before the copies are made', async () => {
    const pad = 'x'.repeat(100_000);
    // 200 foreign documents of 100 KB share one key: 20 MB, under the 32 MiB the foreign side may hold.
    await db.collection('wide').insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: i, k: i < 100 ? 'half' : 'all', pad })));
    await db.collection('wide').updateMany({}, { $set: { all: 1 } });
    await db.collection('keys').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i, k: 'half', all: 1 })));
    const before = process.memoryUsage().rss;
    // Each input joins 20 MB: over the document limit.
    await expect(
      db
        .collection('keys')
        .aggregate([{ $lookup: { from: 'wide', localField: 'all', foreignField: 'all', as: 'j' } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 'DB_LOOKUP_TOO_LARGE',
      message: expect.stringMatching(/would join more than 16 MiB of documents into one document \(MAX_JOINED_BYTES/),
    });
    // Each input joins 10 MB, 256 inputs a chunk: 2.5 GB of copies if nothing stopped it.
    await expect(
      db
        .collection('keys')
        .aggregate([{ $lookup: { from: 'wide', localField: 'k', foreignField: 'k', as: 'j' } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 'DB_LOOKUP_TOO_LARGE',
      message: expect.stringMatching(
        /would join more than 64 MiB of documents into 256 input documents \(MAX_CHUNK_JOINED_BYTES/,
      ),
    });
    // The same through mingo (a `pipeline` join reads the foreign collection whole, 20 MB, and joins all of it to each input).
    await expect(
      db
        .collection('keys')
        .aggregate([{ $lookup: { from: 'wide', pipeline: [{ $match: { all: 1 } }], as: 'j' } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 'DB_LOOKUP_TOO_LARGE',
      message: expect.stringMatching(/^\$lookup joined more than 16 MiB of documents into one document \(MAX_JOINED_BYTES/),
    });
    await expect(
      db
        .collection('keys')
        .aggregate([
          { $match: { _id: { $lt: 2 } } },
          { $graphLookup: { from: 'wide', startWith: '$all', connectFromField: 'all', connectToField: 'all', as: 'j' } },
        ])
        .toArray(),
    ).rejects.toMatchObject({
      code: 'DB_LOOKUP_TOO_LARGE',
      message: expect.stringMatching(/^\$graphLookup joined more than 16 MiB of documents into one document/),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 * 1024 * 1024);
    // An honest join of the same collections: a few documents each.
    const few = await db
      .collection('keys')
      .aggregate([
        { $match: { _id: { $lt: 3 } } },
        { $lookup: { from: 'wide', localField: '_id', foreignField: '_id', as: 'j' } },
        { $project: { n: { $size: '$j' } } },
      ])
      .toArray();
    expect(few).toEqual([
      { _id: 0, n: 1 },
      { _id: 1, n: 1 },
      { _id: 2, n: 1 },
    ]);
  });
});
