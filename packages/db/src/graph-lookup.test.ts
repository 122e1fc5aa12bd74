import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, Document } from '@insights/sdk';
import { Aggregator } from 'mingo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbProvider, type DbProvider } from './index.ts';

const people: Document[] = [
  { _id: 1, name: 'Dev', boss: null },
  { _id: 2, name: 'Eliot', boss: 'Dev' },
  { _id: 3, name: 'Ron', boss: 'Eliot', team: ['a', 'b'] },
  { _id: 4, name: 'Andrew', boss: 'Eliot', team: ['b'] },
  { _id: 5, name: 'Asya', boss: 'Ron' },
  { _id: 6, name: 'Dan', boss: 'Andrew' },
  { _id: 7, name: 'Loop', boss: 'Loop' },
  { _id: 8, name: 'NoBoss' },
];

const byId = (docs: Document[]): Document[] => [...docs].sort((a, b) => (a['_id'] as number) - (b['_id'] as number));

describe('$graphLookup of module queries', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-graph-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('graph');
    await db.collection('people').insertMany(people);
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a chain of bosses', { startWith: '$boss', connectFromField: 'boss', connectToField: 'name' }],
    [
      'reports, with depth and maxDepth',
      { startWith: '$name', connectFromField: 'name', connectToField: 'boss', maxDepth: 1, depthField: 'd' },
    ],
    [
      'an array start and arrays on the way',
      { startWith: ['Ron', 'Dan'], connectFromField: 'boss', connectToField: 'name', depthField: 'd' },
    ],
    ['null and missing', { startWith: '$boss', connectFromField: 'boss', connectToField: 'boss' }],
    [
      'restricted',
      { startWith: '$name', connectFromField: 'name', connectToField: 'boss', restrictSearchWithMatch: { team: 'b' } },
    ],
  ])('graphLookup - %s: the documents mingo finds, each once', async (_, spec) => {
    const stage = { $graphLookup: { from: 'people', as: 'g', ...spec } };
    const ours = await db.collection('people').aggregate([stage]).toArray();
    const mingo = new Aggregator([stage], { collectionResolver: () => people }).run(people) as Document[];
    expect(ours.map((d) => ({ ...d, g: byId(d['g'] as Document[]) }))).toEqual(
      mingo.map((d) => ({ ...d, g: byId(d['g'] as Document[]) })),
    );
  });

  it('graphLookup - a densely connected collection costs its edges, not their square', async () => {
    // 10,000 documents all connected to each other: mingo's search builds an array of 100,000,000 matches per input.
    await db.collection('dense').insertMany(Array.from({ length: 10_000 }, (_, i) => ({ _id: i, k: 1 })));
    const before = process.memoryUsage().rss;
    const [doc] = await db
      .collection('dense')
      .aggregate([
        { $limit: 1 },
        { $graphLookup: { from: 'dense', startWith: '$k', connectFromField: 'k', connectToField: 'k', as: 'g' } },
        { $project: { n: { $size: '$g' } } },
      ])
      .toArray();
    expect(doc).toEqual({ _id: 0, n: 10_000 });
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('graphLookup - a malformed stage is DB_INVALID_PIPELINE', async () => {
    await expect(
      db
        .collection('people')
        .aggregate([{ $graphLookup: { from: 'people', startWith: '$boss', connectFromField: 'boss', as: 'g' } }])
        .toArray(),
    ).rejects.toMatchObject({ code: 'DB_INVALID_PIPELINE', message: expect.stringMatching(/needs from, startWith/) });
  });
});
