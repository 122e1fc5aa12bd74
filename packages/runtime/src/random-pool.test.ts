import { describe, expect, it } from 'vitest';
import { randomString } from './random-pool.ts';

describe('randomString', () => {
  it('random-pool - hands out fresh ids of the asked length, across refills, never the same bytes twice', () => {
    const seen = new Set<string>();
    // 2,000 x 9 bytes spans several 4 KiB refills.
    for (let i = 0; i < 2000; i++) {
      const id = randomString(9, 'base64url');
      expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
    expect(randomString(16, 'hex')).toMatch(/^[0-9a-f]{32}$/);
    expect(randomString(5000, 'hex')).toHaveLength(10_000);
  });
});
