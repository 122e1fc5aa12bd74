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
import gradeDistribution, { computeCourseGrades, computeProblemGrades } from '../src/index.ts';

const LOG = 'edx-tracking/answer_dist_acceptance_tracking.log';

describe.skipIf(!HAS_REAL_DATA)('grade distribution - real tracking logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  // Recomputed by hand with a separate Python script over the raw log (latest server check per learner and problem).
  it(`${LOG}: edX/E929/2014_T2 course grades (6 known points) and the Numerical Input problem`, async () => {
    const events = await readLogEnvelopes(LOG);
    expect(
      computeCourseGrades(events, 'edX/E929/2014_T2').map((g) => [g.learner, g.points, g.possible, g.problems_attempted]),
    ).toEqual([
      ['1', 6, 6, 4],
      ['2', 2, 6, 4],
      ['5', 3, 6, 4],
      ['6', 4, 6, 4],
    ]);
    expect(
      computeProblemGrades(events, { problem: 'i4x://edX/E929/problem/466bffd122ce457ea3ae34a46f0130fa' }).map((r) => [
        r.grade,
        r.max_grade,
        r.learners,
      ]),
    ).toEqual([
      [0, 3, 1],
      [1, 3, 1],
      [3, 3, 2],
    ]);
  });

  it('all 12 logs: realtime under every scenario and local mode equal the recompute', async () => {
    const events = (await Promise.all(EDX_TRACKING_LOGS.map(readLogEnvelopes))).flat();
    const expected = [computeProblemGrades(events), computeCourseGrades(events)];
    const read = async (q: (name: string) => Promise<unknown>) => [await q('problem_grades'), await q('course_grades')];
    for (const run of await underEveryScenario(gradeDistribution, events, (h) => read((n) => h.query(n))))
      expect(run.result, run.scenario).toEqual(expected);
    const mesh = await local({ modules: [edx, gradeDistribution] });
    try {
      for (const f of EDX_TRACKING_LOGS) await mesh.events.ingest(await readLogRaw(f));
      expect(await read((n) => mesh.query[n]!())).toEqual(expected);
      const png = await mesh.view.grade_histogram!({ course: 'edX/E929/2014_T2' });
      expect(png.type).toBe('png');
    } finally {
      await mesh.close();
    }
  });
});
