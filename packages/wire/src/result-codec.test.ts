import { describe, expect, it } from 'vitest';
import { decodeResult, EncodedJson, encodedJsonOf, encodeResult, encodeResultBody } from './result-codec.ts';

describe('result codec', () => {
  it('encodes a shared (memoized) value once and reuses the bytes; other values every time', () => {
    const value = { rows: [1, 2, 3] };
    const first = encodedJsonOf(value, true);
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(encodedJsonOf(value, true)).toBe(first);
    expect(encodedJsonOf(value)).toBe('{"rows":[1,2,3]}');
    expect(encodedJsonOf(undefined)).toBe('null');
    expect(encodeResultBody({ type: 'json', value, shared: true }).data).toBe(first);
  });

  it('an already encoded result goes out as is and is parsed only when read', () => {
    const encoded = new EncodedJson(Buffer.from('{"a":1}'));
    expect(encodeResultBody(encoded).data).toBe(encoded.encoded);
    expect(encoded.value).toEqual({ a: 1 });
    expect(encoded.value).toBe(encoded.value);
  });

  it('round-trips JSON with or without parameters in the content type', () => {
    const wire = encodeResult({ type: 'json', value: [1, 'x'] });
    expect(decodeResult(wire)).toEqual({ type: 'json', value: [1, 'x'] });
    expect(decodeResult({ ...wire, contentType: 'application/json; charset=utf-8' })).toEqual({ type: 'json', value: [1, 'x'] });
    expect(() => decodeResult({ contentType: 'text/plain', data: Buffer.alloc(0) })).toThrow(/unsupported result content type/);
  });
});
