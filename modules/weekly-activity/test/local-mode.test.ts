/** End to end in local mode: raw tracking-log lines through the edx data layer, the node's filters and the handler. */
import { local, type Mesh } from '@insights/client';
import edx from '@insights/module-edx';
import {
  edxEvent,
  EDX_TRACKING_LOGS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  readLogRaw,
} from '@insights/analytics-common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import weeklyActivity, { computeWeeklyActivity } from '../src/index.ts';
import { EVENTS, EXPECTED } from './fixtures.ts';

describe('weekly activity - local mode', () => {
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await local({ modules: [edx, weeklyActivity] });
  });
  afterEach(() => mesh.close());

  it('raw fixture events ingested twice give the hand-counted rows', async () => {
    const raws = EVENTS.map((e) => e.raw);
    await mesh.events.ingest(raws);
    await mesh.events.ingest(raws.slice(0, 5));
    expect(await mesh.query.weekly_activity!()).toEqual(EXPECTED);
  });

  it('the handler filter leaves out what cannot count', async () => {
    const report = await mesh.events.ingest([
      edxEvent({ type: 'edx.course.enrollment.activated', user: 1, course: 'c/o/r', time: '2020-01-01T00:00:00Z' }),
      edxEvent({ type: 'problem_check', user: 1, course: 'c/o/r', time: '2020-01-01T00:00:00Z' }),
    ]);
    expect(report.delivered).toEqual({ 'weekly-activity.record_activity': 1 });
  });

  it.skipIf(!HAS_REAL_DATA)('all 12 real logs, one ingest per file: equals the recompute', async () => {
    for (const f of EDX_TRACKING_LOGS) await mesh.events.ingest(await readLogRaw(f));
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    expect(await mesh.query.weekly_activity!()).toEqual(computeWeeklyActivity(events));
  });
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});
});
