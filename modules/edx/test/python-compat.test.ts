// Expected values printed by CPython 3 (uuid, repr, json, format) and tincan's jsonify_timedelta.
import { describe, expect, it } from 'vitest';
import { isoDuration, pyIsoformat, pyJsonDumps, pyRepr, secondsToFloat, uuid5 } from '../src/xapi/python-compat.ts';

describe('python compat', () => {
  it('uuid5', () => {
    expect(uuid5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuid5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'héllo')).toBe('102d6fae-a0b0-5a7a-b980-5e8cfb1690db');
  });

  it('repr of dicts and lists', () => {
    expect(pyRepr({ a: ['b', 1, true, null], "it's": 'say "hi"\n', x: 'é\u00a0\u200b' })).toBe(
      `{'a': ['b', 1, True, None], "it's": 'say "hi"\\n', 'x': 'é\\xa0\\u200b'}`,
    );
  });

  it('json.dumps with and without ensure_ascii', () => {
    expect(pyJsonDumps(['é', 'a"b', 'c\\d', '\u0001'], false)).toBe('["é", "a\\"b", "c\\\\d", "\\u0001"]');
    expect(pyJsonDumps({ k: 'é' })).toBe('{"k": "\\u00e9"}');
  });

  it('"{:.3f}" rounding, exact binary ties to even', () => {
    expect([0.0625, 0.0327880534, 2.0005, 1.0625].map(secondsToFloat)).toEqual([0.062, 0.033, 2.001, 1.062]);
    expect([null, '', undefined].map(secondsToFloat)).toEqual([undefined, undefined, undefined]);
    expect(secondsToFloat(0)).toBe(0);
  });

  it('ISO-8601 durations like tincan', () => {
    expect([195, 15.5, 3600, 86401.5, 0, 59.9999999, 0.25].map(isoDuration)).toEqual([
      'PT03M15S',
      'PT15.5S',
      'PT01H00M00S',
      'P1DT00H00M01.5S',
      'PT00S',
      'PT01M00S',
      'PT00.25S',
    ]);
  });

  it('datetime.isoformat() of parsed timestamps', () => {
    expect(pyIsoformat('2020-07-15T06:52:55.057099+00:00')).toBe('2020-07-15T06:52:55.057099+00:00');
    expect(pyIsoformat('2020-07-15T06:52:55Z')).toBe('2020-07-15T06:52:55+00:00');
    expect(pyIsoformat('2020-07-15T06:52:55.5-0130')).toBe('2020-07-15T06:52:55.500000-01:30');
  });
});
