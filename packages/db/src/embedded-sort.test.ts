import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SORT_BYTES } from './embedded-read.ts';
import { createDbProvider, type DbProvider } from './index.ts';
import { sortDocuments } from './mingo-ops.ts';

describe('embedded engine - sorts no index answers', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-sort-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('sorting');
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a sort with skip and limit keeps only the best documents and gives the order one full sort gives (ties in insertion order)', async () => {
    const c = db.collection('scores');
    // Few distinct scores, so ties cross every cut of the bounded buffer; some missing, some strings.
    const docs = Array.from({ length: 5000 }, (_, i) => ({
      _id: `d${i}`,
      n: i,
      ...(i % 97 === 0 ? {} : { score: i % 89 === 0 ? `s${i % 7}` : (i * 7919) % 23 }),
    }));
    await c.insertMany(docs);
    for (const [sort, skip, limit] of [
      [{ score: -1 }, 3, 7],
      [{ score: 1 }, 0, 25],
      [{ score: 1, n: -1 }, 990, 40],
    ] as const) {
      const got = await c.find({}, { sort, skip, limit }).toArray();
      const all = await c.find({}).toArray();
      expect(got.map((d) => d._id)).toEqual(
        sortDocuments(all, sort, 'x')
          .slice(skip, skip + limit)
          .map((d) => d._id),
      );
    }
    expect((await c.findOne({ score: { $lt: 5 } }, { sort: { score: -1 } }))?.score).toBe(4);
  });

  it(`a sort over more than ${MAX_SORT_BYTES / 1024 / 1024} MiB of matches is refused with DB_SORT_TOO_LARGE, unless a limit or an index bounds it`, async () => {
    const c = db.collection('big');
    const pad = 'x'.repeat(10_000);
    const count = Math.ceil((MAX_SORT_BYTES * 1.2) / pad.length);
    for (let i = 0; i < count; i += 500)
      await c.insertMany(Array.from({ length: Math.min(500, count - i) }, (_, j) => ({ _id: i + j, rank: (i + j) % 1000, pad })));
    await expect(c.find({}, { sort: { rank: 1 } }).toArray()).rejects.toMatchObject({
      code: 'DB_SORT_TOO_LARGE',
      message: expect.stringMatching(/createIndex/),
    });
    const top = await c.find({}, { sort: { rank: -1 }, limit: 3, projection: { pad: 0 } }).toArray();
    expect(top.map((d) => d.rank)).toEqual([999, 999, 999]);
    await c.createIndex({ rank: 1 });
    let n = 0;
    for await (const _ of c.find({}, { sort: { rank: 1 }, projection: { pad: 0 } })) n++;
    expect(n).toBe(count);
  });
});
