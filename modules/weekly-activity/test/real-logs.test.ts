/** The real logs in ../shared/data: the edX pipeline's own acceptance numbers, and realtime = replay on everything. */
import {
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  underEveryScenario,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import weeklyActivity, { computeWeeklyActivity } from '../src/index.ts';

describe.skipIf(!HAS_REAL_DATA)('weekly activity - real tracking logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('user_activity_tracking.log gives the course_activity rows the pipeline acceptance test expects', async () => {
    // edx-analytics-pipeline @dda3931f, tests/acceptance/test_user_activity.py (weeks 2014-05-19 .. 2014-06-23);
    // recounted by hand with a separate Python script over the raw log.
    const C1 = 'course-v1:edX+DemoX+Test_2014';
    const C2 = 'edX/Open_DemoX/edx_demo_course';
    const row = (course: string, week_start: string, week_end: string, label: string, learners: number) => ({
      course,
      week_start,
      week_end,
      label,
      learners,
    });
    expect(computeWeeklyActivity(await readLogEnvelopes('edx-tracking/user_activity_tracking.log'))).toEqual([
      row(C1, '2014-05-19', '2014-05-26', 'ACTIVE', 1),
      row(C1, '2014-05-19', '2014-05-26', 'PLAYED_VIDEO', 1),
      row(C1, '2014-06-16', '2014-06-23', 'ACTIVE', 4),
      row(C1, '2014-06-16', '2014-06-23', 'ATTEMPTED_PROBLEM', 1),
      row(C1, '2014-06-16', '2014-06-23', 'PLAYED_VIDEO', 3),
      row(C2, '2014-06-09', '2014-06-16', 'ACTIVE', 1),
      row(C2, '2014-06-09', '2014-06-16', 'PLAYED_VIDEO', 1),
      row(C2, '2014-06-16', '2014-06-23', 'ACTIVE', 4),
      row(C2, '2014-06-16', '2014-06-23', 'ATTEMPTED_PROBLEM', 2),
      row(C2, '2014-06-16', '2014-06-23', 'PLAYED_VIDEO', 3),
    ]);
  });

  it('all 12 logs: realtime under every delivery scenario equals the recompute', async () => {
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    const expected = computeWeeklyActivity(events);
    expect(expected.length).toBeGreaterThan(30);
    const runs = await underEveryScenario(weeklyActivity, events, (h) => h.query('weekly_activity'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(expected);
  });
});
