import { describe, expect, it } from 'vitest';
import { normaliseTime } from '../src/lib.ts';

describe('time - normalisation to ISO-8601 UTC', () => {
  it.each([
    ['2013-05-31T15:35:50.275822', '2013-05-31T15:35:50.275Z'], // naive = UTC, truncated to ms
    ['2014-04-18T17:09:59.941616+00:00', '2014-04-18T17:09:59.941Z'],
    ['2024-03-01T00:30:00-02:30', '2024-03-01T03:00:00.000Z'],
    ['2024-03-01 10:00:00,5Z', '2024-03-01T10:00:00.500Z'],
    ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-12-31T23:59:59.999999+0100', '2024-12-31T22:59:59.999Z'],
    ['2024-02-29T00:00:00', '2024-02-29T00:00:00.000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(normaliseTime(input)).toBe(expected);
  });

  it.each(['', 'yesterday', '2023-02-29T00:00:00', '2024-13-01T00:00:00', '2024-01-01T24:00:00', '2024-01-01', '1400000000'])(
    'rejects %j',
    (input) => {
      expect(normaliseTime(input)).toBeUndefined();
    },
  );
});
