import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider, type DbProvider } from '@insights/db';
import type { Db } from '@insights/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEEN_WINDOW, updateOnce } from './once.ts';
import { eventPosition, floorPosition } from './stream-position.ts';

describe('updateOnce - stream memory bounded by the ack floor (embedded engine)', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-once-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('once');
  });
  afterEach(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Single-event messages at stream sequence `seq` (a page's events are covered in the node's tests).
  const apply = (seq: number, ackFloor: number, handler = 'count') =>
    updateOnce(
      db,
      'c',
      `e-${seq}`,
      { _id: 'hot' },
      { $inc: { n: 1 } },
      { upsert: true },
      { handler, seq: eventPosition(seq), ackFloor: floorPosition(ackFloor) },
    );
  type Hot = { n: number; _applied: Record<string, { a?: number[]; b?: number[] }> };
  const doc = async () => (await db.collection('c').findOne({ _id: 'hot' })) as unknown as Hot;

  it('a redelivery of an event applied before many more on the document is still seen while the floor is below it', async () => {
    // Replica B applies 1..100 and dies without acknowledging: the floor stays at 0.
    for (let s = 1; s <= 100; s++) expect(await apply(s, 0)).toBe(true);
    // Replica A goes on with far more than SEEN_WINDOW events on the same document.
    for (let s = 101; s <= 100 + 3 * SEEN_WINDOW; s++) expect(await apply(s, 0)).toBe(true);
    // B's events come back: none applies twice.
    for (let s = 1; s <= 100; s++) expect(await apply(s, 0)).toBe(false);
    expect((await doc()).n).toBe(100 + 3 * SEEN_WINDOW);
  });

  it('entries the ack floor has passed are dropped in the same write, so memory follows the floor, not the event count', async () => {
    // A floor trailing 50 behind: the document holds about 50 entries plus up to one half's worth (16 messages).
    for (let s = 1; s <= 3000; s++) await apply(s, Math.max(0, s - 50));
    const d = await doc();
    const held = [...(d._applied.count?.a ?? []), ...(d._applied.count?.b ?? [])];
    expect(d.n).toBe(3000);
    expect(held.length).toBeLessThan(50 + 2 * 16);
    // Everything above the floor is still there.
    for (let s = 2951; s <= 3000; s++) expect(held).toContain(eventPosition(s));
  });

  it('each handler has its own memory: one handler dropping entries leaves another handler’s alone', async () => {
    // Handler `late` applies 1..10 (its floor 0); handler `fast` runs far ahead with a moving floor.
    for (let s = 1; s <= 10; s++) expect(await apply(s, 0, 'late')).toBe(true);
    for (let s = 11; s <= 2000; s++) await apply(s, s - 1, 'fast.v2');
    for (let s = 1; s <= 10; s++) expect(await apply(s, 0, 'late')).toBe(false);
    expect(Object.keys((await doc())._applied).sort()).toEqual(['fast%2Ev2', 'late']);
  });

  it('ids remembered without a stream position (before, or in local mode) still count', async () => {
    expect(await updateOnce(db, 'c', 'old', { _id: 'hot' }, { $inc: { n: 1 } }, { upsert: true })).toBe(true);
    expect(await updateOnce(db, 'c', 'old', { _id: 'hot' }, { $inc: { n: 1 } }, {}, { handler: 'h', seq: 7, ackFloor: 0 })).toBe(
      false,
    );
    expect((await doc()).n).toBe(1);
  });
});
