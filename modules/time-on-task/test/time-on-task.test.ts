import { edxEvent, envelopes, moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import timeOnTask, { computeTimeOnTask } from '../src/index.ts';

const C = 'course-v1:TestX+Tot+2020';
const D = 'TestX/Tot2/2020';
const act = (user: number, time: string, course = C, type = 'page_close', source = 'browser') =>
  edxEvent({ type, source, user, course, time });

const EVENTS = envelopes([
  act(1, '2020-01-01T23:58:00Z'),
  act(1, '2020-01-01T23:59:30Z'), // +90 s
  act(1, '2020-01-02T00:01:00Z'), // +90 s, across midnight (two day buckets)
  act(1, '2020-01-02T00:10:00Z'), // +9 min: a new 5-minute session
  act(1, '2020-01-02T00:10:00Z', C, 'problem_check', 'server'), // same instant: +0
  act(1, '2020-01-02T01:00:00Z'), // +50 min: a new session for both cut-offs
  act(1, '2020-01-02T00:05:00Z', C, 'edx.course.enrollment.activated', 'server'), // not activity
  act(1, '2020-01-02T00:06:00Z', C, 'problem_rescore', 'task'), // not activity
  act(2, '2020-01-03T10:00:00Z'),
  act(1, '2020-01-05T10:00:00Z', D),
  act(1, '2020-01-05T10:01:00Z', D),
]);

const row = (
  course: string,
  learner: string,
  events: number,
  first: string,
  last: string,
  s5: number,
  n5: number,
  s30: number,
  n30: number,
) => ({
  course,
  learner,
  events,
  first_event: first,
  last_event: last,
  seconds_5min: s5,
  sessions_5min: n5,
  seconds_30min: s30,
  sessions_30min: n30,
});
/** Worked out by hand from the gaps noted above. */
const EXPECTED = [
  row(D, '1', 2, '2020-01-05T10:00:00.000Z', '2020-01-05T10:01:00.000Z', 60, 1, 60, 1),
  row(C, '1', 6, '2020-01-01T23:58:00.000Z', '2020-01-02T01:00:00.000Z', 180, 3, 720, 2),
  row(C, '2', 1, '2020-01-03T10:00:00.000Z', '2020-01-03T10:00:00.000Z', 0, 1, 0, 1),
];

describe('time on task - gaps under 5 and 30 minutes', () => {
  it('computeTimeOnTask - the hand-worked fixture', () => {
    expect(computeTimeOnTask(EVENTS)).toEqual(EXPECTED);
    expect(computeTimeOnTask(EVENTS, { course: C, learner: '2' })).toEqual([EXPECTED[2]]);
  });

  it('realtime (day buckets joined at query time) equals replay under every scenario', async () => {
    const runs = await underEveryScenario(timeOnTask, EVENTS, (h) => h.query('time_on_task'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(EXPECTED);
  });

  it('view - bars per learner, and the table', async () => {
    const h = await moduleHarness(timeOnTask);
    try {
      await h.deliver(EVENTS);
      const chart = await h.view('time_on_task_chart', { course: C });
      expect(chart.type === 'svg' && chart.svg).toContain('gaps &lt; 30 min');
      const t = await h.view('time_on_task_chart', { course: C, format: 'table' });
      expect(t.type === 'table' && t.rows.map((r) => [r[1], r[5], r[7]])).toEqual([
        ['1', 180, 720],
        ['2', 0, 0],
      ]);
    } finally {
      await h.close();
    }
  });
});
