import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDbProvider } from '@insights/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '@insights/sdk';
import { appendToEventLog } from '../src/index.ts';

interface E {
  id: string;
  t: number;
}
/** Derived value that depends on order: the ids sorted by time. */
const order = (all: readonly E[]) => [...all].sort((a, b) => a.t - b.t).map((e) => e.id);

describe('appendToEventLog - per-key logs with a derived value', () => {
  let dir: string;
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'event-log-'));
    const provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('logs');
    close = () => provider.close();
  });
  afterAll(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });

  it('derives from all events in time order, whatever the arrival order; repeats change nothing', async () => {
    const c = db.collection('logs');
    expect(await appendToEventLog(c, 'k', { learner: 'a' }, [{ id: 'b', t: 2 }], order)).toBe(true);
    expect(
      await appendToEventLog(
        c,
        'k',
        { learner: 'a' },
        [
          { id: 'a', t: 1 },
          { id: 'a', t: 1 },
        ],
        order,
      ),
    ).toBe(true);
    expect(await appendToEventLog(c, 'k', { learner: 'a' }, [{ id: 'b', t: 2 }], order)).toBe(false);
    expect(await c.findOne({ _id: 'k' })).toMatchObject({
      learner: 'a',
      derived: ['a', 'b'],
      events: [{ id: 'b' }, { id: 'a' }],
    });
  });
});
