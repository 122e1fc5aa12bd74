/** Conformance: aggregation pipelines. */
import type { Collection, Document } from '@insights/sdk';
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

    describe('aggregate - joins', () => {
      beforeEach(async () => {
        await db()
          .collection('learners')
          .insertMany([
            { _id: 'u1', groups: ['g1', 'g2'], profile: { team: 'red' } },
            { _id: 'u2', groups: ['g2'], profile: { team: 'blue' } },
            { _id: 'u3', groups: [], profile: { team: null } },
            { _id: 'u4' },
          ]);
      });
      /** `{ _id: [ids joined as `as`, sorted] }` of each output document: join order is unspecified. */
      const joined = (rows: Document[], as = 'l'): Record<string, string[]> =>
        Object.fromEntries(rows.map((r) => [r['_id'], (r[as] as Document[]).map((d) => d['_id'] as string).sort()]));
      const lookup = (localField: string, foreignField: string): Document => ({
        $lookup: { from: 'learners', localField, foreignField, as: 'l' },
      });

      it('lookup - a local array matches on each element, a foreign array on any element', async () => {
        const local = db().collection('local');
        await local.insertMany([{ _id: 't1', members: ['u1', 'u2', 'nobody'] }, { _id: 't2', members: [] }, { _id: 'g2' }]);
        expect(
          joined(await local.aggregate([{ $match: { members: { $exists: true } } }, lookup('members', '_id')]).toArray()),
        ).toEqual({
          t1: ['u1', 'u2'],
          t2: [],
        });
        expect(joined(await local.aggregate([{ $match: { _id: 'g2' } }, lookup('_id', 'groups')]).toArray())).toEqual({
          g2: ['u1', 'u2'],
        });
      });

      it('lookup - a null or missing local value matches foreign documents whose field is null or missing', async () => {
        const local = db().collection('local');
        await local.insertMany([{ _id: 'null', team: null }, { _id: 'missing' }, { _id: 'red', team: 'red' }]);
        expect(joined(await local.aggregate([lookup('team', 'profile.team')]).toArray())).toEqual({
          null: ['u3', 'u4'],
          missing: ['u3', 'u4'],
          red: ['u1'],
        });
      });

      it('lookup - dotted paths fan out through arrays, and a dotted `as` nests the result', async () => {
        const local = db().collection('local');
        await local.insertMany([
          { _id: 'r1', info: { team: 'red' } },
          { _id: 'r2', info: { team: 'none' }, squads: [{ team: 'red' }, { team: 'blue' }] },
        ]);
        expect(joined(await local.aggregate([lookup('info.team', 'profile.team')]).toArray())).toEqual({ r1: ['u1'], r2: [] });
        const out = await local
          .aggregate([
            { $match: { _id: 'r2' } },
            { $lookup: { from: 'learners', localField: 'squads.team', foreignField: 'profile.team', as: 'info.l' } },
          ])
          .toArray();
        const info = out[0]?.['info'] as { team: string; l: Document[] };
        expect(info.team).toBe('none');
        expect(info.l.map((d) => d['_id']).sort()).toEqual(['u1', 'u2']);
      });

      it('unionWith - the input, then the other collection through its own pipeline', async () => {
        const out = await c
          .aggregate([
            { $match: { user: 'u1' } },
            { $project: { _id: 1 } },
            { $unionWith: { coll: 'learners', pipeline: [{ $match: { groups: 'g2' } }, { $project: { _id: 1 } }] } },
            { $unionWith: 'problems' },
          ])
          .toArray();
        expect(out).toEqual([{ _id: 'a1' }, { _id: 'a2' }, { _id: 'u1' }, { _id: 'u2' }]);
      });

      it('lookup - with a pipeline, on the joined collection read whole', async () => {
        const out = await c
          .aggregate([
            { $match: { _id: 'a1' } },
            {
              $lookup: {
                from: 'learners',
                let: { u: '$user' },
                pipeline: [{ $match: { $expr: { $eq: ['$_id', '$$u'] } } }, { $project: { _id: 1 } }],
                as: 'l',
              },
            },
          ])
          .toArray();
        expect(joined(out)).toEqual({ a1: ['u1'] });
      });
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
