import { describe, expect, it } from 'vitest';
import { atLeast } from './streams.ts';

describe('event streams - server versions', () => {
  it('compares release and pre-release versions, and refuses what it cannot read', () => {
    expect(atLeast('2.14.10', [2, 12, 1])).toBe(true);
    expect(atLeast('2.12.1', [2, 12, 1])).toBe(true);
    expect(atLeast('v2.12.1-RC.2', [2, 12, 1])).toBe(true);
    expect(atLeast('2.12.0', [2, 12, 1])).toBe(false);
    expect(atLeast('2.9.10', [2, 12, 1])).toBe(false);
    expect(atLeast('', [2, 12, 1])).toBe(false);
  });
});
