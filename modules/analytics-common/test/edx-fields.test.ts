import { describe, expect, it } from 'vitest';
import { contextUserId, eventSource, isEnrollmentEvent, legacyType, toNumber } from '../src/index.ts';
import { envelopes } from './support/index.ts';

const [named, plain, anonymous] = envelopes([
  {
    name: 'edx.ui.lms.sequence.next_selected',
    event_type: 'seq_next',
    event_source: 'browser',
    time: '2016-01-01T00:00:00Z',
    context: { user_id: 7 },
    event: '{}',
  },
  {
    event_type: 'edx.course.enrollment.activated',
    event_source: 'server',
    time: '2016-01-01T00:00:00Z',
    context: { user_id: '12' },
    event: {},
  },
  { event_type: 'problem_check', time: '2016-01-01T00:00:00Z', username: 'someone', context: { user_id: 0 }, event: {} },
]);

describe('edx fields - the raw fields the pipeline defined its metrics on', () => {
  it('legacyType - event_type wins over the envelope type (name)', () => {
    expect(named!.type).toBe('edx.ui.lms.sequence.next_selected');
    expect(legacyType(named!)).toBe('seq_next');
  });
  it('eventSource - read from the raw event', () => {
    expect(eventSource(named!)).toBe('browser');
    expect(eventSource(anonymous!)).toBeUndefined();
  });
  it('contextUserId - numbers and text; 0 means no learner', () => {
    expect(contextUserId(named!)).toBe('7');
    expect(contextUserId(plain!)).toBe('12');
    expect(contextUserId(anonymous!)).toBeUndefined();
  });
  it('isEnrollmentEvent', () => {
    expect(isEnrollmentEvent(plain!)).toBe(true);
    expect(isEnrollmentEvent(named!)).toBe(false);
  });
  it('toNumber - numeric text, numbers, and nothing else', () => {
    expect(toNumber('1.5')).toBe(1.5);
    expect(toNumber(2)).toBe(2);
    expect(toNumber('')).toBeUndefined();
    expect(toNumber('NaN')).toBeUndefined();
    expect(toNumber(null)).toBeUndefined();
  });
});
