import { describe, expect, it } from 'vitest';
import { isoTime } from './audit-record.ts';

describe('isoTime', () => {
  it('is toISOString, also when the same or an earlier millisecond comes again', () => {
    const at = Date.UTC(2026, 11, 7, 17, 59, 59, 999);
    for (const ms of [at, at, at + 1, at, 0, 0, at + 86_400_000]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
