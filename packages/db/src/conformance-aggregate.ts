/** Conformance: aggregation pipelines. */
import type { Collection } from '@insights/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectDbError, type DbGetter } from './conformance-helpers.ts';

interface Attempt {
  _id: string;
  user: string;
  problem: string;
  score: number;
  tags: string[];
  meta: { source: string };
}

const ATTEMPTS: Attempt[] = [
  { _id: 'a1', user: 'u1', problem: 'p1', score: 1, tags: ['x'], meta: { source: 'lms' } },
  { _id: 'a2', user: 'u1', problem: 'p2', score: 0.5, tags: ['x', 'y'], meta: { source: 'lms' } },
  { _id: 'a3', user: 'u2', problem: 'p1', score: 0, tags: [], meta: { source: 'forum' } },
  { _id: 'a4', user: 'u3', problem: 'p1', score: 1, tags: ['y'], meta: { source: 'lms' } },
];

export function describeAggregateConformance(db: DbGetter): void {
  describe('aggregate', () => {
    let c: Collection<Attempt>;
    beforeEach(async () => {
      c = db().collection<Attempt>('attempts');
      await c.insertMany(ATTEMPTS);
    });

    it('aggregate - $match $group $sort', async () => {
      const out = await c
        .aggregate([
          { $match: { problem: 'p1' } },
          { $group: { _id: '$meta.source', n: { $sum: 1 }, avg: { $avg: '$score' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(out).toEqual([
        { _id: 'forum', n: 1, avg: 0 },
        { _id: 'lms', n: 2, avg: 1 },
      ]);
    });

    it('aggregate - $project $addFields $skip $limit $count', async () => {
      const out = await c
        .aggregate([
          { $sort: { _id: 1 } },
          { $addFields: { pct: { $multiply: ['$score', 100] } } },
          { $project: { _id: 0, user: 1, pct: 1 } },
          { $skip: 1 },
          { $limit: 2 },
        ])
        .toArray();
      expect(out).toEqual([
        { user: 'u1', pct: 50 },
        { user: 'u2', pct: 0 },
      ]);
      expect(await c.aggregate([{ $match: { score: { $gt: 0 } } }, { $count: 'n' }]).toArray()).toEqual([{ n: 3 }]);
    });

    it('aggregate - $unwind and async iteration', async () => {
      const seen: unknown[] = [];
      for await (const row of c.aggregate([
        { $unwind: '$tags' },
        { $group: { _id: '$tags', n: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])) {
        seen.push(row);
      }
      expect(seen).toEqual([
        { _id: 'x', n: 2 },
        { _id: 'y', n: 2 },
      ]);
    });

    it('aggregate - $lookup joins another collection of the same database', async () => {
      await db()
        .collection('problems')
        .insertMany([
          { _id: 'p1', title: 'One' },
          { _id: 'p2', title: 'Two' },
        ]);
      const out = await c
        .aggregate([
          { $match: { user: 'u1' } },
          { $lookup: { from: 'problems', localField: 'problem', foreignField: '_id', as: 'p' } },
          { $project: { _id: 1, title: { $arrayElemAt: ['$p.title', 0] } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(out).toEqual([
        { _id: 'a1', title: 'One' },
        { _id: 'a2', title: 'Two' },
      ]);
    });

    it('aggregate - stages that reshape documents never change the stored ones', async () => {
      await c.aggregate([{ $set: { 'meta.source': 'changed' } }, { $unset: 'meta' }]).toArray();
      const rows = await c.aggregate<Attempt>([{ $match: { _id: 'a1' } }]).toArray();
      (rows[0] as Attempt).meta.source = 'mutated by caller';
      expect((await c.findOne({ _id: 'a1' }))?.meta).toEqual({ source: 'lms' });
    });

    it('aggregate - an unknown stage fails with DB_INVALID_PIPELINE', async () => {
      await expectDbError(c.aggregate([{ $frobnicate: {} }]).toArray(), 'DB_INVALID_PIPELINE');
    });
  });
}
