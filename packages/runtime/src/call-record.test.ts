import { describe, expect, it, vi } from 'vitest';
import { encodeResultBody, type CallOutcome } from '@insights/wire';
import { resultBytes, withEncoding } from './call-record.ts';

describe('call records', () => {
  it('call-record - a memoized result is stringified once, not once per call for its size', () => {
    const big: CallOutcome = { type: 'json', value: { rows: Array.from({ length: 100 }, (_, i) => ({ i })) }, shared: true };
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const sizes = [1, 2, 3].map(() => resultBytes(withEncoding(big)));
      expect(stringify).toHaveBeenCalledTimes(1);
      expect(sizes).toEqual(Array(3).fill(Buffer.byteLength(JSON.stringify(big.value))));
    } finally {
      stringify.mockRestore();
    }
  });

  it('call-record - the size and the wire body come from one encoding', () => {
    const o = withEncoding({ type: 'json', value: { x: 'é' } });
    expect(o).toMatchObject({ type: 'json', value: { x: 'é' }, encoded: '{"x":"é"}' });
    expect(resultBytes(o)).toBe(10);
    expect(encodeResultBody(o).data).toBe('{"x":"é"}');
  });

  it('call-record - a value JSON cannot encode is left for the wire to report', () => {
    const o: CallOutcome = { type: 'json', value: { n: 1n } };
    expect(withEncoding(o)).toBe(o);
    expect(resultBytes(o)).toBe(0);
  });
});
