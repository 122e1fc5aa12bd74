import { moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import weeklyActivity, { computeWeeklyActivity } from '../src/index.ts';
import { COURSES, EVENTS, EXPECTED } from './fixtures.ts';

describe('weekly activity - labels and weeks', () => {
  it('computeWeeklyActivity - the hand-counted fixture', () => {
    expect(computeWeeklyActivity(EVENTS)).toEqual(EXPECTED);
  });

  it('computeWeeklyActivity - course and week range filters', () => {
    expect(computeWeeklyActivity(EVENTS, { course: COURSES.B })).toEqual(EXPECTED.filter((r) => r.course === COURSES.B));
    expect(computeWeeklyActivity(EVENTS, { from: '2020-03-09', to: '2020-03-23' })).toEqual(
      EXPECTED.filter((r) => r.week_start === '2020-03-09'),
    );
  });
});

describe('weekly activity - realtime equals replay', () => {
  it('every delivery order, batching and redelivery gives the recomputed answer', async () => {
    const runs = await underEveryScenario(weeklyActivity, EVENTS, (h) => h.query('weekly_activity'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(EXPECTED);
  });

  it('query filters match the batch filters', async () => {
    const h = await moduleHarness(weeklyActivity);
    try {
      await h.deliver(EVENTS, { batchSize: 4 });
      expect(await h.query('weekly_activity', { course: COURSES.A, from: '2020-03-09' })).toEqual(
        computeWeeklyActivity(EVENTS, { course: COURSES.A, from: '2020-03-09' }),
      );
    } finally {
      await h.close();
    }
  });
});

describe('weekly activity - view', () => {
  it('svg, png and table of one course, empty weeks included', async () => {
    const h = await moduleHarness(weeklyActivity);
    try {
      await h.deliver(EVENTS);
      const chart = await h.view('weekly_activity_chart', { course: COURSES.A });
      expect(chart.type).toBe('svg');
      expect(chart.type === 'svg' && chart.svg).toContain('Weekly activity: course-v1:TestX+Act+2020');
      const image = await h.view('weekly_activity_chart', { course: COURSES.A, format: 'png' });
      expect(image.type === 'png' && Buffer.from(image.data.subarray(1, 4)).toString()).toBe('PNG');
      const t = await h.view('weekly_activity_chart', { course: COURSES.A, format: 'table' });
      expect(t.type === 'table' && t.columns).toEqual([
        'week_start',
        'ACTIVE',
        'ATTEMPTED_PROBLEM',
        'PLAYED_VIDEO',
        'POSTED_FORUM',
      ]);
      expect(t.type === 'table' && t.rows).toEqual([
        ['2020-03-02', 2, 1, 1, 0],
        ['2020-03-09', 3, 0, 0, 1],
        ['2020-03-16', 0, 0, 0, 0],
        ['2020-03-23', 1, 0, 0, 0],
      ]);
    } finally {
      await h.close();
    }
  });
});
