import { edxEvent, envelopes, moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import gradeDistribution, { computeCourseGradeBands, computeCourseGrades, computeProblemGrades } from '../src/index.ts';

const C = 'course-v1:TestX+Grd+2020';
const [P1, P2, P3] = ['p1', 'p2', 'p3'].map((b) => `block-v1:TestX+Grd+2020+type@problem+block@${b}`) as [string, string, string];
let minute = 0;
const graded = (user: number, problem: string, grade: number, max_grade: number) =>
  edxEvent({
    type: 'problem_check',
    user,
    course: C,
    time: new Date(Date.UTC(2020, 5, 1, 12, minute++)).toISOString(),
    context: { module: { display_name: `Problem ${problem.slice(-2)}` } },
    event: { problem_id: problem, grade, max_grade, answers: {}, success: grade === max_grade ? 'correct' : 'incorrect' },
  });

const EVENTS = envelopes([
  graded(1, P1, 1, 2),
  graded(1, P1, 2, 2), // latest: 2/2
  graded(1, P2, 1, 1),
  graded(2, P1, 0, 2),
  graded(2, P2, 0, 1),
  graded(2, P2, 1, 1), // latest: 1/1
  graded(3, P3, 3, 4),
  graded(3, P1, 1, 2),
  edxEvent({ type: 'problem_check', source: 'browser', user: 4, course: C, time: '2020-06-02T00:00:00Z', event: 'input_p1=1' }),
  graded(4, P2, 0, 0), // no points possible: not a score
]);

const pg = (problem: string, grade: number, max_grade: number, learners: number) => ({
  course: C,
  problem,
  problem_name: `Problem ${problem.slice(-2)}`,
  grade,
  max_grade,
  fraction: grade / max_grade,
  learners,
});
const EXPECTED_PROBLEMS = [pg(P1, 0, 2, 1), pg(P1, 1, 2, 1), pg(P1, 2, 2, 1), pg(P2, 1, 1, 2), pg(P3, 3, 4, 1)];
/** Known points: P1 2 + P2 1 + P3 4 = 7. */
const cg = (learner: string, points: number, problems_attempted: number) => ({
  course: C,
  learner,
  points,
  possible: 7,
  percent: (100 * points) / 7,
  problems_attempted,
});
const EXPECTED_COURSE = [cg('1', 3, 2), cg('2', 1, 2), cg('3', 4, 2)];

describe('grade distribution - latest scores per problem and course', () => {
  it('per problem: learners per score of their latest check', () => {
    expect(computeProblemGrades(EVENTS)).toEqual(EXPECTED_PROBLEMS);
  });

  it('per course: share of the known problem points, and 10-point bands', () => {
    expect(computeCourseGrades(EVENTS)).toEqual(EXPECTED_COURSE);
    const bands = computeCourseGradeBands(EVENTS, C);
    expect(bands).toHaveLength(10);
    expect(bands.filter((b) => b.learners > 0).map((b) => [b.from, b.learners])).toEqual([
      [10, 1],
      [40, 1],
      [50, 1],
    ]);
  });

  it('realtime equals replay under every delivery scenario', async () => {
    const runs = await underEveryScenario(gradeDistribution, EVENTS, async (h) => [
      await h.query('problem_grades'),
      await h.query('course_grades', { course: C }),
      await h.query('course_grade_distribution', { course: C, bands: 5 }),
    ]);
    for (const run of runs)
      expect(run.result, run.scenario).toEqual([EXPECTED_PROBLEMS, EXPECTED_COURSE, computeCourseGradeBands(EVENTS, C, 5)]);
  });

  it('histogram images: PNG by default, per course and per problem; the table is the data', async () => {
    const h = await moduleHarness(gradeDistribution);
    try {
      await h.deliver(EVENTS);
      const course = await h.view('grade_histogram', { course: C });
      expect(course.type).toBe('png');
      expect(course.type === 'png' && Buffer.from(course.data.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
      const problem = await h.view('grade_histogram', { course: C, problem: P1, format: 'svg' });
      expect(problem.type === 'svg' && problem.svg).toContain('Scores: Problem p1');
      const t = await h.view('grade_histogram', { course: C, format: 'table', bands: 4 });
      expect(t.type === 'table' && t.rows).toEqual([
        [C, 0, 25, 1],
        [C, 25, 50, 1],
        [C, 50, 75, 1],
        [C, 75, 100, 0],
      ]);
    } finally {
      await h.close();
    }
  });
});
