import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkJsonLimits, describeJsonBreach } from './json-limits.ts';

const limits = { maxBytes: 1000, maxDepth: 3 };
const bytes = (s: string) => new TextEncoder().encode(s);

describe('json limits - a scan before parsing', () => {
  it('passes documents within both limits, as text and as bytes', () => {
    for (const doc of ['{}', '[[[]]]', '{"a":{"b":[1,2]}}', '"x"', 'null', '']) {
      expect(checkJsonLimits(doc, limits)).toBeUndefined();
      expect(checkJsonLimits(bytes(doc), limits)).toBeUndefined();
    }
  });

  it('stops at the first bracket past the depth limit', () => {
    expect(checkJsonLimits('[[[[]]]]', limits)).toEqual({ limit: 'maxDepth', actual: 4, max: 3 });
    expect(checkJsonLimits(bytes('{"a":{"b":{"c":{}}}}'), limits)).toEqual({ limit: 'maxDepth', actual: 4, max: 3 });
    // Deep enough to overflow a recursive walk: refused without building anything.
    expect(checkJsonLimits('['.repeat(1_000_000), { maxBytes: 2e6, maxDepth: 64 })?.limit).toBe('maxDepth');
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(checkJsonLimits('{"a":"[[[[[[\\"[[[["}', limits)).toBeUndefined();
    expect(checkJsonLimits(bytes('["\\\\",[[[]]]]'), limits)?.limit).toBe('maxDepth');
  });

  it('measures size in UTF-8 bytes', () => {
    const text = 'aé€😀';
    expect(checkJsonLimits(text, { maxBytes: Buffer.byteLength(text), maxDepth: 1 })).toBeUndefined();
    expect(checkJsonLimits(text, { maxBytes: Buffer.byteLength(text) - 1, maxDepth: 1 })?.actual).toBe(Buffer.byteLength(text));
    expect(checkJsonLimits(`"${'é'.repeat(600)}"`, limits)).toEqual({ limit: 'maxBytes', actual: 1202, max: 1000 });
    expect(checkJsonLimits(bytes(`"${'x'.repeat(1000)}"`), limits)?.limit).toBe('maxBytes');
  });

  it('names the setting in its message', () => {
    expect(describeJsonBreach('arguments', { limit: 'maxDepth', actual: 4, max: 3 }, 'limits.maxJsonDepth')).toBe(
      'arguments: nested deeper than 3 levels of arrays and objects (limits.maxJsonDepth)',
    );
  });

  it('reads text and its UTF-8 bytes alike, and finds the depth JSON.parse would build', () => {
    const depthOf = (v: unknown): number =>
      typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (doc, maxDepth) => {
        const l = { maxBytes: 1e6, maxDepth };
        const r = checkJsonLimits(doc, l);
        expect(checkJsonLimits(bytes(doc), l)).toEqual(r);
        expect(r === undefined).toBe(depthOf(JSON.parse(doc)) <= maxDepth);
      }),
    );
    // Not JSON at all: brackets, quotes and backslashes in any order.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }), (text) => {
        expect(checkJsonLimits(bytes(text), limits)).toEqual(checkJsonLimits(text, limits));
      }),
    );
  });
});
