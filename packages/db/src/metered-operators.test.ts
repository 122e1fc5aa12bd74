import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Collection, Db, Document } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbProvider, type DbProvider } from './index.ts';
import { runPipeline } from './mingo-ops.ts';
import { OperationClock } from './operation-clock.ts';

const PER_VALUE = /module queries are bounded to 16 MiB per value \(MAX_VALUE_BYTES\) and 64 MiB built per expression/;

/** A string that doubles 40 times: 2^40 characters if nothing stops it. */
const doubling = { $reduce: { input: { $range: [0, 40] }, initialValue: 'ab', in: { $concat: ['$$value', '$$value'] } } };

describe('metered expressions: a module query cannot build values without bound', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;
  let c: Collection;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-metered-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('metered');
    c = db.collection('c');
    await c.insertMany([{ _id: 1, s: 'abc', xs: [3, 1, 2], name: 'Ann' }]);
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  const project = (expr: Document): Promise<Document[]> => c.aggregate([{ $project: { r: expr } }]).toArray();

  it.each([
    ['$range of 50,000,000 numbers', { $range: [0, 50_000_000] }, /^\$range would build a value of 381\.5 MiB, over 16 MiB/],
    ['$range of 10^9 numbers', { $range: [0, 1e9] }, /^\$range would build a value of 7629\.4 MiB/],
    ['a string doubled by $reduce', doubling, /^\$concat would build a value of 32 MiB, over 16 MiB/],
    [
      '$map of a $range inside a $range (10^4 x 10^4)',
      { $map: { input: { $range: [0, 10_000] }, in: { $range: [0, 10_000] } } },
      /^\$range would take the values one expression built past 64 MiB/,
    ],
    [
      '$concatArrays of 1,000 copies of one array',
      { $let: { vars: { a: { $range: [0, 100_000] } }, in: { $concatArrays: Array<string>(1000).fill('$$a') } } },
      /^\$concatArrays would build a value of 762\.9 MiB/,
    ],
    [
      '$concat of 1,000 copies of one string',
      { $let: { vars: { s: { $substrCP: [doubling, 0, 1_000_000] } }, in: { $concat: Array<string>(1000).fill('$$s') } } },
      /^\$concat would build a value of (32|953\.7) MiB/,
    ],
    [
      '$replaceAll with a 1 MB replacement',
      {
        $replaceAll: {
          input: { $substrCP: [doubling, 0, 1000] },
          find: 'a',
          replacement: { $substrCP: [doubling, 0, 1_000_000] },
        },
      },
      /^\$(replaceAll would build a value of 477 MiB|concat would build)/,
    ],
    [
      '$zip of 1,000 copies of one array',
      { $let: { vars: { a: { $range: [0, 100_000] } }, in: { $zip: { inputs: Array<string>(1000).fill('$$a') } } } },
      /^\$zip would build a value of 763\.7 MiB/,
    ],
  ])('expression - %s fails with DB_EXPRESSION_TOO_LARGE naming the operator and the limit', async (_, expr, message) => {
    const before = process.memoryUsage().rss;
    const e = await project(expr).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'DB_EXPRESSION_TOO_LARGE', message: expect.stringMatching(message) });
    expect((e as Error).message).toMatch(PER_VALUE);
    // Refused before the value was built, or as it grew past the bound: nothing near its size.
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 * 1024);
  });

  it('expression - update pipelines and $expr filters are metered too', async () => {
    await expect(c.updateOne({ _id: 1 }, [{ $set: { r: { $range: [0, 1e9] } } }])).rejects.toMatchObject({
      code: 'DB_EXPRESSION_TOO_LARGE',
      message: expect.stringMatching(/^\$range would build a value of 7629\.4 MiB/),
    });
    await expect(c.find({ $expr: { $gt: [{ $strLenCP: doubling }, 0] } }).toArray()).rejects.toMatchObject({
      code: 'DB_EXPRESSION_TOO_LARGE',
      message: expect.stringMatching(/^\$concat would build a value of 32 MiB/),
    });
    expect(await c.findOne({ _id: 1 })).toMatchObject({ s: 'abc' });
  });

  it('expression - honest expressions still work: strings, arrays, $reduce, $map, $group', async () => {
    const [doc] = await c
      .aggregate([
        {
          $project: {
            up: { $toUpper: '$name' },
            joined: { $concat: ['$name', '-', '$s'] },
            range: { $range: [0, 10, 3] },
            sum: { $reduce: { input: '$xs', initialValue: 0, in: { $add: ['$$value', '$$this'] } } },
            sq: { $map: { input: '$xs', in: { $multiply: ['$$this', '$$this'] } } },
            zip: { $zip: { inputs: ['$xs', { $range: [0, 3] }] } },
            rep: { $replaceAll: { input: 'a-b-c', find: '-', replacement: '+' } },
            big: {
              $strLenCP: { $reduce: { input: { $range: [0, 20] }, initialValue: 'a', in: { $concat: ['$$value', '$$value'] } } },
            },
          },
        },
      ])
      .toArray();
    expect(doc).toEqual({
      _id: 1,
      up: 'ANN',
      joined: 'Ann-abc',
      range: [0, 3, 6, 9],
      sum: 6,
      sq: [9, 1, 4],
      zip: [
        [3, 0],
        [1, 1],
        [2, 2],
      ],
      rep: 'a+b+c',
      big: 2 ** 20,
    });
    expect(await c.aggregate([{ $group: { _id: null, n: { $sum: 1 }, names: { $push: '$name' } } }]).toArray()).toEqual([
      { _id: null, n: 1, names: ['Ann'] },
    ]);
  });

  it('expression - the meter starts again for each document and each top-level expression', async () => {
    // 11.4 MiB per field and document: each under the bounds, together over them.
    const fields = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, { $size: { $range: [i, 1_500_000] } }]));
    await db.collection('many').insertMany(Array.from({ length: 3 }, (_, i) => ({ _id: i })));
    const out = await db
      .collection('many')
      .aggregate([{ $project: fields }])
      .toArray();
    expect(out).toHaveLength(3);
    expect(out[2]).toMatchObject({ f0: 1_500_000, f5: 1_499_995 });
  });

  it('expression - an operation over its time fails with DB_TIMEOUT where it is, even inside one document', () => {
    // Nested $reduce over small arrays: 10^12 additions, no allocation to stop it.
    const cpu = {
      $reduce: {
        input: { $range: [0, 1_000_000] },
        initialValue: 0,
        in: { $reduce: { input: { $range: [0, 1_000_000] }, initialValue: '$$value', in: { $add: ['$$value', 1] } } },
      },
    };
    const clock = new OperationClock('metered.c', 200);
    const run = (): unknown =>
      clock.run(() => [...runPipeline([{ _id: 1 }], [{ $project: { r: cpu } }], 'metered.c', () => [], 10)]);
    expect(run).toThrow(
      expect.objectContaining({
        code: 'DB_TIMEOUT',
        message: expect.stringMatching(/^An operation on metered\.c ran for more than 0\.2 s of the node's time \(MAX_RUN_MS\)/),
      }),
    );
  });
});
