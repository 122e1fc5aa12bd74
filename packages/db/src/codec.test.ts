import { describe, expect, it } from 'vitest';
import { cloneValue, decodeValue, encodeDocument, keyOf, MAX_DOCUMENT_BYTES } from './codec.ts';

describe('codec', () => {
  it('codec - Dates and non-finite numbers round-trip through JSON', () => {
    const doc = { _id: 'a', at: new Date(1234), list: [new Date(5), Infinity, -Infinity, NaN], n: { d: new Date(0) } };
    const { doc: stored, json } = encodeDocument(doc, 'db.c');
    expect(stored).toEqual(doc);
    expect(stored['at']).not.toBe(doc.at);
    expect(json).toContain('{"$date":"1970-01-01T00:00:01.234Z"}');
    expect(decodeValue(json)).toEqual(doc);
  });

  it('codec - undefined fields are dropped, undefined array slots become null', () => {
    const { doc } = encodeDocument({ a: undefined, b: [undefined, 1] }, 'db.c');
    expect(doc).toEqual({ b: [null, 1] });
    expect('a' in doc).toBe(false);
  });

  it('codec - refuses what cannot be stored, naming the path', () => {
    expect(() => encodeDocument({ a: { $date: 'x' } }, 'db.c')).toThrow(/"a.\$date" in db.c/);
    expect(() => encodeDocument({ f: () => 1 }, 'db.c')).toThrow(
      expect.objectContaining({ code: 'DB_INVALID_DOCUMENT', path: 'f' }),
    );
    expect(() => encodeDocument({ m: new Map() }, 'db.c')).toThrow(expect.objectContaining({ code: 'DB_INVALID_DOCUMENT' }));
    expect(() => encodeDocument({ b: 1n }, 'db.c')).toThrow(expect.objectContaining({ code: 'DB_INVALID_DOCUMENT' }));
    expect(() => encodeDocument({ d: new Date(NaN) }, 'db.c')).toThrow(expect.objectContaining({ code: 'DB_INVALID_DOCUMENT' }));
    expect(() => encodeDocument([1], 'db.c')).toThrow(expect.objectContaining({ code: 'DB_INVALID_DOCUMENT' }));
    expect(() => encodeDocument({ big: 'x'.repeat(MAX_DOCUMENT_BYTES) }, 'db.c')).toThrow(
      expect.objectContaining({ code: 'DB_DOCUMENT_TOO_LARGE' }),
    );
  });

  it('codec - equality keys distinguish types and match equal values', () => {
    expect(keyOf(1)).toBe(keyOf(1.0));
    expect(keyOf(1)).not.toBe(keyOf('1'));
    expect(keyOf(null)).toBe(keyOf(undefined));
    expect(keyOf(new Date(5))).toBe(keyOf(new Date(5)));
    expect(keyOf({ a: 1, b: 2 })).not.toBe(keyOf({ b: 2, a: 1 }));
    expect(keyOf(true)).not.toBe(keyOf('t'));
  });

  it('codec - cloneValue is deep', () => {
    const v = { a: [{ b: new Date(1) }] };
    const c = cloneValue(v);
    expect(c).toEqual(v);
    expect(c.a[0]).not.toBe(v.a[0]);
    expect(c.a[0]?.b).not.toBe(v.a[0]?.b);
  });
});
