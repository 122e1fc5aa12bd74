import { Aggregator } from 'mingo';
import { describe, expect, it } from 'vitest';
import { pipelineIsReadOnly } from './mingo-ops.ts';

const STAGES: Record<string, unknown> = {
  $match: { 'a.b': 1 },
  $sort: { 'a.b': -1 },
  $skip: 1,
  $limit: 1,
  $count: 'n',
  $group: { _id: '$a.b', all: { $push: '$a' }, root: { $push: '$$ROOT' } },
  $sortByCount: '$a.b',
  $bucket: { groupBy: '$a.b', boundaries: [0, 5, 10], default: 'other' },
  $bucketAuto: { groupBy: '$a.b', buckets: 2 },
  $facet: { x: [{ $set: { 'a.q': 1 } }], y: [{ $unset: 'a.b' }] },
  $lookup: { from: 'other', localField: 'a.b', foreignField: 'k', as: 'o' },
  $sample: { size: 1 },
};

describe('mingo ops', () => {
  it('mingo - stages treated as read-only really leave their input unchanged', () => {
    for (const [name, arg] of Object.entries(STAGES)) {
      const docs = [
        { _id: 1, a: { b: 1, c: [1, 2] } },
        { _id: 2, a: { b: 7, c: [] } },
      ];
      const before = JSON.stringify(docs);
      const pipeline = [{ [name]: arg }];
      expect(pipelineIsReadOnly(pipeline), name).toBe(true);
      new Aggregator(pipeline, { collectionResolver: () => [{ k: 1 }] }).run(docs);
      expect(JSON.stringify(docs), name).toBe(before);
    }
  });

  it('mingo - stages that may change their input are not read-only', () => {
    for (const stage of [
      { $set: { 'a.b': 1 } },
      { $addFields: { x: 1 } },
      { $project: { 'a.b': 0 } },
      { $unwind: '$a.c' },
      { $unset: 'a' },
    ]) {
      expect(pipelineIsReadOnly([{ $match: {} }, stage])).toBe(false);
    }
  });
});
