import { describe, expect, it } from 'vitest';
import { defineModule, MAX_LEARNER_FIELDS } from './module.ts';

describe('defineModule - learner fields', () => {
  it('keeps the declared fields once each, and refuses names that are not plain field names', () => {
    expect(defineModule({ name: 'm', learnerFields: ['student', 'student', 'peer_id'] }).learnerFields).toEqual([
      'student',
      'peer_id',
    ]);
    expect(defineModule({ name: 'm' }).learnerFields).toEqual([]);
    for (const bad of ['', 'a.b', '1x', 'x'.repeat(65)])
      expect(() => defineModule({ name: 'm', learnerFields: [bad] })).toThrow(/learner field/);
    const many = Array.from({ length: MAX_LEARNER_FIELDS + 1 }, (_, i) => `f${i}`);
    expect(() => defineModule({ name: 'm', learnerFields: many })).toThrow(/at most 32 learnerFields/);
  });
});
