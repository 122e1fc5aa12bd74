import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Collection, Db } from '@insights/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldCase } from './case-fold.ts';
import { createDbProvider, type DbProvider } from './index.ts';
import { linearRegExp } from './linear-regex.ts';

/** 40 characters: `^(a+)+$` backtracking over them would take hours; one backtracking step per character more doubles it. */
const EVIL_INPUT = `${'a'.repeat(40)}!`;
const NOT_LINEAR = /cannot run in linear time: back references and lookarounds are not allowed in module queries/;

describe('linear-time regular expressions of module queries', () => {
  let dir: string;
  let provider: DbProvider;
  let db: Db;
  let c: Collection;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'insights-regex-'));
    provider = createDbProvider({ kind: 'embedded', dir });
    db = await provider.forModule('regex');
    c = db.collection('c');
    await c.insertMany([
      { _id: 1, s: EVIL_INPUT, name: 'Alice', tags: ['Blue', 'green'] },
      { _id: 2, s: 'aaaa', name: 'bob', tags: ['red'] },
    ]);
  });
  afterAll(async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['$regex', { s: { $regex: '^(a+)+$' } }],
    ['$regex with $options i', { s: { $regex: '^(a+)+$', $options: 'i' } }],
    ['a RegExp value with i', { s: /^(a+)+$/i }],
    ['$in of RegExp', { s: { $in: [/^(a|aa)+$/i] } }],
    ['$not', { s: { $not: /^(a+)+$/i } }],
    ['$expr $regexMatch', { $expr: { $regexMatch: { input: '$s', regex: '^(a+)+$', options: 'i' } } }],
  ])('regex - catastrophic backtracking (%s) ends at once, with the right answer', async (_, filter) => {
    const ids = (await c.find(filter).toArray()).map((d) => d['_id']);
    const negated = JSON.stringify(filter).includes('$not');
    expect(ids).toEqual(negated ? [1] : [2]);
  });

  it('regex - the same in a pipeline: $match, $regexFind with a pattern from the document, a $lookup pipeline', async () => {
    await db.collection('p').insertOne({ _id: 'p', pattern: '^(a+)+$' });
    const out = await c
      .aggregate([
        { $match: { s: /^(a+)+$|^aaaa$|^a/i } },
        { $lookup: { from: 'p', pipeline: [{ $match: { pattern: { $regex: '^\\^\\((a+)+' } } }], as: 'p' } },
        { $project: { f: { $regexFind: { input: '$s', regex: { $first: '$p.pattern' }, options: 'i' } } } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, f: null },
      { _id: 2, f: { match: 'aaaa', idx: 0, captures: ['aaaa'] } },
    ]);
  });

  it.each([
    ['a back reference', { s: { $regex: '(a)\\1' } }, /\/\(a\)\\1\//],
    ['a lookahead', { s: /a(?=!)/ }, /\/a\(\?=!\)\//],
    ['a lookbehind with i', { name: { $in: ['x', /(?<=A)l/i] } }, /\/\(\?<=A\)l\/i/],
    ['a named back reference', { name: { $not: /(?<x>l)\k<x>/ } }, /\\k<x>/],
  ])('regex - %s is refused with DB_INVALID_FILTER naming the pattern', async (_, filter, pattern) => {
    const e = await c
      .find(filter)
      .toArray()
      .catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'DB_INVALID_FILTER', message: expect.stringMatching(NOT_LINEAR) });
    expect((e as Error).message).toMatch(pattern);
  });

  it('regex - in pipelines and updates the code is the operation kind', async () => {
    // (A leading $match is the query's filter: DB_INVALID_FILTER, as above.)
    await expect(c.aggregate([{ $project: { s: 1 } }, { $match: { s: /(a)\1/ } }]).toArray()).rejects.toMatchObject({
      code: 'DB_INVALID_PIPELINE',
    });
    await expect(
      c.aggregate([{ $project: { m: { $regexMatch: { input: '$s', regex: { $concat: ['(a)', '\\1'] } } } } }]).toArray(),
    ).rejects.toMatchObject({ code: 'DB_INVALID_PIPELINE', message: expect.stringMatching(NOT_LINEAR) });
    await expect(c.updateOne({ _id: 1 }, { $pull: { tags: /(?=B)/ } })).rejects.toMatchObject({
      code: 'DB_INVALID_UPDATE',
      message: expect.stringMatching(NOT_LINEAR),
    });
    await expect(c.find({ s: { $regex: 'a', $options: 'u' } }).toArray()).rejects.toMatchObject({
      code: 'DB_INVALID_FILTER',
      message: expect.stringMatching(/flags other than i, m, s, g and y/),
    });
  });

  it('regex - honest patterns work as before: anchored, classes, case-insensitive, $in, $pull', async () => {
    const ids = async (filter: object): Promise<unknown[]> => (await c.find(filter).toArray()).map((d) => d['_id']);
    expect(await ids({ name: { $regex: '^[AB]' } })).toEqual([1]);
    expect(await ids({ name: /^[ab]/i })).toEqual([1, 2]);
    expect(await ids({ name: { $regex: 'LIC', $options: 'i' } })).toEqual([1]);
    expect(await ids({ tags: { $in: [/^gr/i, 'red'] } })).toEqual([1, 2]);
    expect(await ids({ tags: { $all: [/^BLUE$/i, /een$/] } })).toEqual([1]);
    expect(await ids({ name: { $not: /^A/i } })).toEqual([2]);
    await c.updateOne({ _id: 1 }, { $pull: { tags: /^b/i } });
    expect((await c.findOne({ _id: 1 }))?.['tags']).toEqual(['green']);
  });

  it('regex - an i pattern rewritten without the flag matches exactly what the flag matches', () => {
    const patterns = ['abc', '^[a-f0-9]+$', '[^a-z]', 'x{2,3}', '\\u0041b\\x43', '[\\w-z]k', '(?<name>st)ra\\.ße', 'Ǆ|ǅ|ǆ|ſ|K|µ'];
    const inputs = [
      'ABC',
      'abc',
      'AbC',
      'DEADbeef',
      'Z',
      'xX',
      'XXX',
      'aBc',
      'K-K',
      'STRA.SSE',
      'StRa.ßE',
      'ǅ',
      'ǆ',
      's',
      'S',
      'k',
      'Μ',
      'μ',
    ];
    for (const p of patterns) {
      const folded = new RegExp(foldCase(p));
      const native = new RegExp(p, 'i');
      for (const s of inputs) expect([p, s, folded.test(s)]).toEqual([p, s, native.test(s)]);
    }
    const re = linearRegExp('AbC', 'im');
    expect(re.flags).toBe('m');
    expect(re.test('xabc')).toBe(true);
  });
});
