import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LearnerIdKey, MAX_LEARNER_ID_CHARS, noLearnerIdKey } from './learner-ids.ts';

describe('learner ids - keyed per deployment', () => {
  const k1 = new LearnerIdKey('k'.repeat(32));
  const k2 = new LearnerIdKey('j'.repeat(32));

  it('stable under one key, different under another, never the unkeyed sha256', () => {
    expect(k1.of('42')).toBe(k1.of('42'));
    expect(k1.of('42')).toMatch(/^[0-9a-f]{32}$/);
    expect(k1.of('42')).not.toBe(k2.of('42'));
    expect(k1.of('42')).not.toBe(k1.of('43'));
    const unkeyed = createHash('sha256').update('insights:42').digest('hex').slice(0, 32);
    expect([k1.of('42'), k2.of('42')]).not.toContain(unkeyed);
  });

  it('refuses a short key, and ids that are not short non-empty strings, naming the parameter', () => {
    expect(() => new LearnerIdKey('short')).toThrow(/at least 32 characters/);
    for (const bad of ['', 'x'.repeat(MAX_LEARNER_ID_CHARS + 1), 42, null])
      expect(() => k1.of(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', parameter: 'id' }));
  });

  it('a node without a key says which setting to give', () => {
    expect(noLearnerIdKey('edx')).toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('learnerIds.key'),
    });
  });
});
