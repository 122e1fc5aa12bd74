import { describe, expect, it } from 'vitest';
import { covers, filterSubjectsFor, withoutCovered } from './subject-filters.ts';

const t = (s: string) => s.split('.');

describe('events - consumer filter subjects', () => {
  it('covers: wildcards cover what they match, never the other way round', () => {
    expect(covers(t('a.>'), t('a.b.c'))).toBe(true);
    expect(covers(t('a.>'), t('a.*'))).toBe(true);
    expect(covers(t('a.>'), t('a'))).toBe(false);
    expect(covers(t('a.*'), t('a.b'))).toBe(true);
    expect(covers(t('a.*'), t('a.>'))).toBe(false);
    expect(covers(t('a.b'), t('a.*'))).toBe(false);
    expect(covers(t('*.x.>'), t('~.1.x.>'))).toBe(false);
    expect(covers(t('*.>'), t('~.1.*.*.edx.>'))).toBe(true);
  });

  it('withoutCovered keeps one of equal patterns and drops those another covers', () => {
    expect(withoutCovered(['a.b', 'a.>', 'a.b', 'c.d'])).toEqual(['a.>', 'c.d']);
  });

  it("an unpartitioned handler reads its sources and types in the raw and keyed layouts, and its sources' pages", () => {
    expect(filterSubjectsFor(['problem_check', 'edx.video.>'], ['edx'])).toEqual([
      'insights.events.edx.problem_check',
      'insights.events.edx.edx.video.>',
      'insights.events.~.*.*.*.edx.problem_check',
      'insights.events.~.*.*.*.edx.edx.video.>',
      'insights.events.=.edx',
    ]);
  });

  it('several sources and types are each named, not widened to the whole source or stream', () => {
    expect(filterSubjectsFor(['a', 'b'], ['x', 'y'])).toHaveLength(10);
    expect(filterSubjectsFor(['a', 'b'], ['x', 'y'])).toContain('insights.events.~.*.*.*.y.b');
    expect(filterSubjectsFor(['a', 'b'], ['x', 'y'])).toContain('insights.events.=.y');
  });

  it('a handler naming no source reads the pages of every source', () => {
    expect(filterSubjectsFor(['a'], [])).toEqual(['insights.events.*.a', 'insights.events.~.*.*.*.*.a', 'insights.events.=.*']);
  });

  it("a partition reads raw subjects, its own buckets of the key's token, and every page of its sources", () => {
    const f = filterSubjectsFor(['>'], ['shard'], { key: 'course', buckets: [3, 11] });
    expect(f).toEqual([
      'insights.events.shard.>',
      'insights.events.~.*.3.*.shard.>',
      'insights.events.~.*.11.*.shard.>',
      'insights.events.=.shard',
    ]);
  });

  it('a handler with no source and every type has one filter: the raw pattern covers the keyed ones', () => {
    expect(filterSubjectsFor([], [], { key: 'actor', buckets: [0, 8] })).toEqual(['insights.events.*.>']);
    expect(filterSubjectsFor(['>'], [])).toEqual(['insights.events.*.>']);
  });

  it('every bucket is one wildcard, and wildcards in declared types stay wildcards while other characters become tokens', () => {
    const all = Array.from({ length: 64 }, (_, b) => b);
    expect(filterSubjectsFor(['a b.*'], ['x'], { key: 'actor', buckets: all })).toEqual([
      'insights.events.x.a_b.*',
      'insights.events.~.*.*.*.x.a_b.*',
      'insights.events.=.x',
    ]);
  });
});
