import { edxEvent, envelopes, moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import enrollment, { computeEnrollmentDaily } from '../src/index.ts';

const C = 'course-v1:TestX+Enr+2020';
const D = 'TestX/Enr2/2020';
const enroll = (kind: string, user: number, course: string, time: string, mode?: string) =>
  edxEvent({
    type: `edx.course.enrollment.${kind}`,
    user,
    course,
    time,
    event: { course_id: course, user_id: user, ...(mode === undefined ? {} : { mode }) },
  });

const EVENTS = envelopes([
  enroll('activated', 1, C, '2020-01-01T08:00:00Z', 'audit'),
  enroll('activated', 2, C, '2020-01-01T23:59:59.999Z', 'audit'),
  enroll('activated', 3, C, '2020-01-01T10:00:00Z', 'verified'),
  enroll('mode_changed', 1, C, '2020-01-02T00:00:00Z', 'verified'),
  enroll('deactivated', 2, C, '2020-01-02T01:00:00+02:00', 'audit'), // 2020-01-01 23:00 UTC
  enroll('deactivated', 3, C, '2020-01-03T00:00:00Z', 'verified'),
  enroll('activated', 4, D, '2020-01-02T00:00:00Z'), // no mode
  // Not enrollment changes, or no course.
  edxEvent({ type: 'edx.course.enrollment.upgrade.clicked', user: 5, course: C, time: '2020-01-02T00:00:00Z' }),
  edxEvent({
    type: 'edx.course.enrollment.activated',
    user: 6,
    time: '2020-01-02T00:00:00Z',
    event: { user_id: 6, mode: 'audit' },
  }),
]);

const row = (day: string, course: string, mode: string, activations: number, deactivations: number, mode_changes: number) => ({
  day,
  course,
  mode,
  activations,
  deactivations,
  mode_changes,
  net_change: activations - deactivations,
});

/** Counted by hand from EVENTS; day, then course id in code-unit order ('T' < 'c'), then mode. */
const EXPECTED = [
  row('2020-01-01', C, 'audit', 2, 1, 0),
  row('2020-01-01', C, 'verified', 1, 0, 0),
  row('2020-01-02', D, 'unknown', 1, 0, 0),
  row('2020-01-02', C, 'verified', 0, 0, 1),
  row('2020-01-03', C, 'verified', 0, 1, 0),
];

describe('enrollment - daily changes', () => {
  it('computeEnrollmentDaily - the hand-counted fixture', () => {
    expect(computeEnrollmentDaily(EVENTS)).toEqual(EXPECTED);
  });
  it('computeEnrollmentDaily - a repeated event id counts once (ingest dedupes)', () => {
    expect(computeEnrollmentDaily([...EVENTS, ...EVENTS])).toEqual(EXPECTED);
  });
  it('computeEnrollmentDaily - course and day filters', () => {
    expect(computeEnrollmentDaily(EVENTS, { course: C, from: '2020-01-02', to: '2020-01-03' })).toEqual([
      row('2020-01-02', C, 'verified', 0, 0, 1),
    ]);
  });
});

describe('enrollment - realtime equals replay', () => {
  it('every delivery scenario', async () => {
    const runs = await underEveryScenario(enrollment, EVENTS, (h) => h.query('enrollment_daily'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(EXPECTED);
  });

  it('views - chart and table of one course', async () => {
    const h = await moduleHarness(enrollment);
    try {
      await h.deliver(EVENTS);
      const chart = await h.view('enrollment_chart', { course: C });
      expect(chart.type === 'svg' && chart.svg).toContain('Enrollment changes: course-v1:TestX+Enr+2020');
      const t = await h.view('enrollment_chart', { course: C, format: 'table', from: '2020-01-02' });
      expect(t).toEqual({
        type: 'table',
        title: `Enrollment changes: ${C}`,
        columns: ['day', 'course', 'mode', 'activations', 'deactivations', 'mode_changes', 'net_change'],
        rows: [
          ['2020-01-02', C, 'verified', 0, 0, 1, 0],
          ['2020-01-03', C, 'verified', 0, 1, 0, -1],
        ],
      });
    } finally {
      await h.close();
    }
  });
});
