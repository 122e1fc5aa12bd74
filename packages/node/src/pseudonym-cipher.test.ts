import { describe, expect, it } from 'vitest';
import { PseudonymCipher } from './pseudonym-cipher.ts';

describe('pseudonym cipher - deterministic, keyed, authenticated', () => {
  const a = new PseudonymCipher('a'.repeat(32));
  const b = new PseudonymCipher('b'.repeat(32));

  it('the same id seals the same under one key, differently under another; opens only with its key', () => {
    for (const id of ['ada', '', '7', 'é'.repeat(40), 'x'.repeat(15), 'x'.repeat(16)]) {
      const sealed = a.seal(id);
      expect(a.seal(id).equals(sealed)).toBe(true);
      expect(b.seal(id).equals(sealed)).toBe(false);
      expect(a.open(sealed)).toBe(id);
      expect(b.open(sealed)).toBeUndefined();
    }
  });

  it('short ids all seal to the same length; an altered or truncated value does not open', () => {
    expect(new Set(['1', 'ada', 'learner-12345'].map((id) => a.seal(id).length))).toEqual(new Set([32]));
    const sealed = a.seal('ada');
    for (const i of [0, 20, 31]) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 1;
      expect(a.open(bad)).toBeUndefined();
    }
    expect(a.open(sealed.subarray(0, 16))).toBeUndefined();
    expect(a.open(Buffer.alloc(0))).toBeUndefined();
  });
});
