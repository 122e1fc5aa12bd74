import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGGREGATE_WORKER_ENTRY, createDbProvider, type DbProvider } from '@insights/db';
import { AggregateOffload, turnsDuring } from '@insights/db/internal';
import { bundleOwnEntry } from '@insights/sandbox';
import type { Collection } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DOCS = 60_000;

/**
 * Aggregations that hold their input ($group, $sort, ...) run in the aggregation worker
 * process (aggregate-offload.ts), bundled as the node bundles it: the node's event loop turns meanwhile,
 * and what one builds or how long it runs is bounded there, not in the node.
 */
describe('embedded engine - aggregations that hold their input run off the node thread', () => {
  let dir: string;
  let workerFile: () => Promise<string>;
  let workerStarts = 0;
  let offloaded: DbProvider;
  let inline: DbProvider;
  let c: Collection;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-offload-'));
    workerFile = () => bundleOwnEntry(path.join(dir, 'bundles'), AGGREGATE_WORKER_ENTRY, 'db-aggregate').then((b) => b.file);
    offloaded = createDbProvider({
      kind: 'embedded',
      dir: path.join(dir, 'db'),
      aggregateWorker: () => (workerStarts++, workerFile()),
    });
    c = (await offloaded.forModule('agg')).collection('events');
    for (let i = 0; i < DOCS; i += 5000)
      await c.insertMany(Array.from({ length: 5000 }, (_, j) => ({ n: i + j, verb: `v${(i + j) % 7}` })));
    inline = createDbProvider({ kind: 'embedded', dir: path.join(dir, 'inline') });
    const ci = (await inline.forModule('agg')).collection('events');
    for (let i = 0; i < DOCS; i += 5000)
      await ci.insertMany(Array.from({ length: 5000 }, (_, j) => ({ n: i + j, verb: `v${(i + j) % 7}` })));
  }, 120_000);
  afterAll(async () => {
    await offloaded.close();
    await inline.close();
    await rm(dir, { recursive: true, force: true });
  });

  const group = [{ $group: { _id: '$verb', count: { $sum: 1 } } }, { $sort: { _id: 1 } }];
  const expected = Array.from({ length: 7 }, (_, k) => ({ _id: `v${k}`, count: Math.floor(DOCS / 7) + (k < DOCS % 7 ? 1 : 0) }));

  it('a $group gives the same answer as on the thread, while the event loop keeps turning', async () => {
    const off = await turnsDuring(() => c.aggregate(group).toArray());
    expect(off.result).toEqual(expected);
    const on = await turnsDuring(async () => (await inline.forModule('agg')).collection('events').aggregate(group).toArray());
    expect(on.result).toEqual(expected);
    // On the thread the stage reads all 60,000 documents in one go; in the worker the loop turns throughout.
    expect(on.turns).toBeLessThan(5);
    expect(off.turns).toBeGreaterThan(on.turns * 4);
    expect(workerStarts).toBe(1);
  }, 60_000);

  it('streaming pipelines stay on the thread; writes issued before an aggregation are in its answer', async () => {
    const starts = workerStarts;
    expect(await c.aggregate([{ $match: { n: { $lt: 3 } } }, { $project: { _id: 0, n: 1 } }]).toArray()).toEqual([
      { n: 0 },
      { n: 1 },
      { n: 2 },
    ]);
    expect(workerStarts).toBe(starts);
    const late = (await offloaded.forModule('agg')).collection('late');
    void late.insertOne({ n: -1 });
    expect(await late.aggregate([{ $count: 'n' }]).toArray()).toEqual([{ n: 1 }]);
  });

  it('errors come back with their codes: a bad stage, a pipeline that builds too much, one that runs too long', async () => {
    await expect(c.aggregate([{ $group: { count: { $sum: 1 } } }]).toArray()).rejects.toMatchObject({
      code: 'DB_INVALID_PIPELINE',
    });
    // Each value is small enough for the metered operators; together the groups outgrow the worker's heap.
    const bomb = [{ $group: { _id: '$n', r: { $first: { $range: [0, 100_000] } } } }];
    await expect(c.aggregate(bomb).toArray()).rejects.toMatchObject({
      code: 'DB_AGGREGATION_TOO_COSTLY',
      message: expect.stringMatching(/MiB of memory/),
    });
    // The worker is started again for the next one.
    expect(await c.aggregate(group).toArray()).toHaveLength(7);
    const short = new AggregateOffload({ workerFile, timeoutMs: 100 });
    const db = await offloaded.forModule('agg');
    const file = (db as unknown as { file: string }).file;
    const slow = [{ $group: { _id: '$n', x: { $push: { $range: [0, 200] } } } }, { $sort: { _id: -1 } }];
    await expect(short.run({ file, database: 'agg', collection: 'events', pipeline: slow })).rejects.toMatchObject({
      code: 'DB_AGGREGATION_TOO_COSTLY',
      message: expect.stringMatching(/ran longer than 0.1 s/),
    });
    // Killed at its deadline, the worker is started again for the next request.
    expect(await short.run({ file, database: 'agg', collection: 'late', pipeline: [{ $count: 'n' }] })).toEqual([{ n: 1 }]);
    await short.close();
  }, 120_000);
});
