import { describe, expect, it } from 'vitest';
import { addDays, utcDay, weekStart } from '../src/index.ts';

describe('time - UTC days and Monday weeks', () => {
  it('weekStart - a Monday starts its own week', () => {
    expect(weekStart('2014-06-16T00:00:00.000Z')).toBe('2014-06-16');
  });
  it('weekStart - Sunday 23:59:59.999 belongs to the week of the Monday before', () => {
    expect(weekStart('2014-06-22T23:59:59.999Z')).toBe('2014-06-16');
    expect(weekStart('2014-06-23T00:00:00.000Z')).toBe('2014-06-23');
  });
  it('weekStart - zone offsets count in UTC', () => {
    // 2014-06-23 01:00 in +02:00 is Sunday 23:00 UTC.
    expect(weekStart('2014-06-23T01:00:00+02:00')).toBe('2014-06-16');
    expect(utcDay('2014-06-23T01:00:00+02:00')).toBe('2014-06-22');
  });
  it('weekStart - across a year boundary and before 1970', () => {
    expect(weekStart('2015-01-01T12:00:00Z')).toBe('2014-12-29');
    expect(weekStart('1969-12-31T12:00:00Z')).toBe('1969-12-29');
  });
  it('addDays - moves across months', () => {
    expect(addDays('2014-05-26', 7)).toBe('2014-06-02');
    expect(addDays('2014-03-01', -1)).toBe('2014-02-28');
  });
  it('epochMs - rejects text that is not a date', () => {
    expect(() => utcDay('yesterday')).toThrow(/not an ISO-8601/);
  });
});
