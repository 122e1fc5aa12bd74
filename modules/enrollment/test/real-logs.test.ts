import {
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  underEveryScenario,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import enrollment, { computeEnrollmentDaily } from '../src/index.ts';

const row = (day: string, course: string, mode: string, activations: number, deactivations: number, mode_changes = 0) => ({
  day,
  course,
  mode,
  activations,
  deactivations,
  mode_changes,
  net_change: activations - deactivations,
});

describe.skipIf(!HAS_REAL_DATA)('enrollment - real tracking logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('enrollment_trends_tracking.log: counts checked by hand (a Python script over the raw lines)', async () => {
    const demo = 'edX/Open_DemoX/edx_demo_course';
    const demo2 = 'course-v1:edX+Open_DemoX+edx_demo_course2';
    expect(computeEnrollmentDaily(await readLogEnvelopes('edx-tracking/enrollment_trends_tracking.log'))).toEqual([
      row('2014-07-30', demo, 'honor', 1, 0),
      row('2014-07-30', demo, 'verified', 1, 0),
      row('2014-08-01', demo, 'audit', 1, 0),
      row('2014-08-01', demo, 'honor', 2, 1),
      row('2014-08-01', demo, 'verified', 1, 0),
      row('2014-08-02', demo, 'audit', 0, 1),
      row('2014-08-03', demo2, 'verified', 1, 0),
      row('2014-08-03', demo, 'audit', 1, 0),
      row('2014-08-04', demo, 'honor', 0, 1),
      row('2014-08-05', demo2, 'honor', 1, 0),
      row('2014-08-05', demo, 'verified', 0, 2),
      row('2014-08-06', demo, 'honor', 0, 1),
    ]);
  });

  it('problem_response_tracking.log: mode changes to honor and verified on 2016-05-13', async () => {
    const rows = computeEnrollmentDaily(await readLogEnvelopes('edx-tracking/problem_response_tracking.log'), {
      course: 'course-v1:edX+DemoX+Demo_Course',
    });
    expect(rows).toEqual([
      row('2016-05-13', 'course-v1:edX+DemoX+Demo_Course', 'audit', 1, 0, 0),
      row('2016-05-13', 'course-v1:edX+DemoX+Demo_Course', 'honor', 2, 0, 2),
      row('2016-05-13', 'course-v1:edX+DemoX+Demo_Course', 'verified', 1, 0, 1),
    ]);
  });

  it('all 12 logs (5 enrollment events repeated across files): realtime equals the recompute', async () => {
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    const expected = computeEnrollmentDaily(events);
    // 68 enrollment lines, 5 of them repeats of another file's events: 63 distinct changes (Python, by raw JSON).
    expect(expected.reduce((n, r) => n + r.activations + r.deactivations + r.mode_changes, 0)).toBe(63);
    const runs = await underEveryScenario(enrollment, events, (h) => h.query('enrollment_daily'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(expected);
  });
});
