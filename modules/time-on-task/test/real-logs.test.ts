import { local } from '@insights/client';
import edx from '@insights/module-edx';
import {
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  readLogRaw,
  underEveryScenario,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import timeOnTask, { computeTimeOnTask } from '../src/index.ts';

describe.skipIf(!HAS_REAL_DATA)('time on task - real tracking logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('user_activity_tracking.log: learner 4 in both courses, checked by hand', async () => {
    // A separate Python script over the raw log's microsecond times gave 33.232 / 550.656 s and
    // 295.431 / 2057.812 s; envelope times keep milliseconds, so sums may differ by a millisecond.
    const rows = computeTimeOnTask(await readLogEnvelopes('edx-tracking/user_activity_tracking.log'), { learner: '4' });
    expect(rows.map((r) => [r.course, r.events, r.sessions_5min, r.sessions_30min])).toEqual([
      ['course-v1:edX+DemoX+Test_2014', 36, 2, 1],
      ['edX/Open_DemoX/edx_demo_course', 141, 5, 4],
    ]);
    expect(rows[0]!.seconds_5min).toBeCloseTo(33.232, 2);
    expect(rows[0]!.seconds_30min).toBeCloseTo(550.656, 2);
    expect(rows[1]!.seconds_5min).toBeCloseTo(295.431, 2);
    expect(rows[1]!.seconds_30min).toBeCloseTo(2057.812, 2);
  });

  it('all 12 logs: realtime under every scenario and local mode equal the recompute', async () => {
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    const expected = computeTimeOnTask(events);
    for (const run of await underEveryScenario(timeOnTask, events, (h) => h.query('time_on_task')))
      expect(run.result, run.scenario).toEqual(expected);
    const mesh = await local({ modules: [edx, timeOnTask] });
    try {
      for (const f of EDX_TRACKING_LOGS) await mesh.events.ingest(await readLogRaw(f));
      expect(await mesh.query.time_on_task!()).toEqual(expected);
    } finally {
      await mesh.close();
    }
  });
});
