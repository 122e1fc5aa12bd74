import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Collection } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbProvider, type DbProvider } from './index.ts';
import { turnsDuring } from './loop-turns.ts';

/** The node's event loop while a module's query scans a large collection. */
describe('embedded engine - long reads give the event loop turns', () => {
  let dir: string;
  let provider: DbProvider;
  let c: Collection;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-loop-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    c = (await provider.forModule('loop')).collection('events');
    for (let i = 0; i < 40_000; i += 5000)
      await c.insertMany(Array.from({ length: 5000 }, (_, j) => ({ n: i + j, verb: `watched-${(i + j) % 50}` })));
  }, 60_000);
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Whether a timer set before the read fired before the read's answer (it cannot without turns). */
  const timerFiresFirst = async (read: () => Promise<unknown>): Promise<boolean> => {
    let fired = false;
    const timer = new Promise<void>((r) => setTimeout(() => ((fired = true), r()), 0));
    await read();
    const firstWasTimer = fired;
    await timer;
    return firstWasTimer;
  };

  it('a scan with few matches (toArray, iteration, count, distinct, an unindexed sort) lets timers run while it reads', async () => {
    const rare = { verb: { $regex: '^watched-49$' }, n: { $gte: 39_000 } };
    expect(await timerFiresFirst(() => c.find(rare).toArray())).toBe(true);
    expect(
      await timerFiresFirst(async () => {
        let n = 0;
        for await (const _ of c.find(rare)) n++;
        expect(n).toBe(20);
      }),
    ).toBe(true);
    expect(await timerFiresFirst(async () => expect(await c.countDocuments(rare)).toBe(20))).toBe(true);
    expect(await timerFiresFirst(async () => expect(await c.distinct('verb', rare)).toEqual(['watched-49']))).toBe(true);
    expect(await timerFiresFirst(() => c.find(rare, { sort: { n: -1 }, limit: 2 }).toArray())).toBe(true);
  });

  it('updateMany and deleteMany over many documents let timers run, and match a document changed meanwhile again', async () => {
    const w = (await provider.forModule('loop')).collection('writes');
    for (let i = 0; i < 40_000; i += 5000)
      await w.insertMany(Array.from({ length: 5000 }, (_, j) => ({ _id: i + j, n: i + j, odd: (i + j) % 2 === 1 })));
    const updated = await turnsDuring(() => w.updateMany({}, { $inc: { n: 1 } }));
    expect(updated.result.modifiedCount).toBe(40_000);
    expect(updated.turns).toBeGreaterThan(5);
    expect(await w.countDocuments({ n: 40_000 })).toBe(1);
    // A document that stops matching while the update runs is left alone (MongoDB's rule per document).
    const running = w.updateMany({ odd: true }, { $set: { seen: true } });
    await w.updateOne({ _id: 39_999 }, { $set: { odd: false } });
    const r = await running;
    expect(r.matchedCount).toBe(19_999);
    expect(await w.findOne({ _id: 39_999 })).toMatchObject({ odd: false });
    expect(await w.findOne({ _id: 39_999 })).not.toHaveProperty('seen');
    const deleted = await turnsDuring(() => w.deleteMany({ odd: true }));
    expect(deleted.result.deletedCount).toBe(19_999);
    expect(deleted.turns).toBeGreaterThan(5);
    expect(await w.countDocuments({})).toBe(20_001);
  });
});
