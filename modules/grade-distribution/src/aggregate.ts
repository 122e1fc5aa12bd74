/**
 * Grade tables from learners' latest scores: per problem (learners per grade), per learner
 * (course points) and per course (learners per 10-point band). One function per table for
 * the batch and the realtime paths.
 *
 * A course grade here is the share of the course's known problem points a learner earned:
 * points / the sum over every problem anyone attempted of its max_grade. Problems nobody
 * attempted, and grading-policy weights, are not in the events (they live in the course
 * structure), so this is a raw points share, not the LMS's weighted grade.
 */
import { bins } from '@insights/charts';
import { compareStamps } from '@insights/analytics-common';
import type { Score } from './score.ts';

export interface ProblemGradeRow {
  readonly course: string;
  readonly problem: string;
  readonly problem_name: string;
  readonly grade: number;
  readonly max_grade: number;
  /** grade / max_grade. */
  readonly fraction: number;
  readonly learners: number;
}

export interface CourseGradeRow {
  readonly course: string;
  readonly learner: string;
  readonly points: number;
  /** Sum of max_grade over every problem of the course anyone attempted. */
  readonly possible: number;
  /** 100 x points / possible. */
  readonly percent: number;
  readonly problems_attempted: number;
}

export interface GradeBandRow {
  readonly course: string;
  /** Lower bound, percent (inclusive). */
  readonly from: number;
  /** Upper bound, percent (exclusive, but 100 is in the last band). */
  readonly to: number;
  readonly learners: number;
}

export interface GradeFilter {
  readonly course?: string | undefined;
  readonly problem?: string | undefined;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function selectScores(scores: readonly Score[], f: GradeFilter): Score[] {
  return scores.filter(
    (s) => (f.course === undefined || s.course === f.course) && (f.problem === undefined || s.problem === f.problem),
  );
}

export function problemGrades(scores: readonly Score[]): ProblemGradeRow[] {
  const names = new Map<string, Score>();
  const counts = new Map<string, { course: string; problem: string; grade: number; max_grade: number; learners: number }>();
  for (const s of scores) {
    const p = JSON.stringify([s.course, s.problem]);
    const known = names.get(p);
    if (known === undefined || compareStamps(s, known) > 0) names.set(p, s);
    const key = JSON.stringify([s.course, s.problem, s.grade, s.max_grade]);
    const c = counts.get(key);
    if (c === undefined)
      counts.set(key, { course: s.course, problem: s.problem, grade: s.grade, max_grade: s.max_grade, learners: 1 });
    else c.learners++;
  }
  return [...counts.values()]
    .map((c) => ({
      course: c.course,
      problem: c.problem,
      problem_name: names.get(JSON.stringify([c.course, c.problem]))!.problem_name,
      grade: c.grade,
      max_grade: c.max_grade,
      fraction: c.grade / c.max_grade,
      learners: c.learners,
    }))
    .sort((a, b) => cmp(a.course, b.course) || cmp(a.problem, b.problem) || a.fraction - b.fraction || a.max_grade - b.max_grade);
}

export function courseGrades(scores: readonly Score[]): CourseGradeRow[] {
  const possible = new Map<string, Map<string, number>>(); // course -> problem -> max_grade
  const learners = new Map<string, { course: string; learner: string; points: number; problems: number }>();
  // Sums in a fixed order, so fractional grades add up to the same float on both paths.
  const ordered = [...scores].sort((a, b) => cmp(a.course, b.course) || cmp(a.learner, b.learner) || cmp(a.problem, b.problem));
  for (const s of ordered) {
    let problems = possible.get(s.course);
    if (problems === undefined) possible.set(s.course, (problems = new Map()));
    problems.set(s.problem, Math.max(problems.get(s.problem) ?? 0, s.max_grade));
    const key = JSON.stringify([s.course, s.learner]);
    const l = learners.get(key);
    if (l === undefined) learners.set(key, { course: s.course, learner: s.learner, points: s.grade, problems: 1 });
    else {
      l.points += s.grade;
      l.problems++;
    }
  }
  return [...learners.values()]
    .map((l) => {
      const maxima = possible.get(l.course)!;
      const total = [...maxima.keys()].sort(cmp).reduce((sum, p) => sum + maxima.get(p)!, 0);
      return {
        course: l.course,
        learner: l.learner,
        points: l.points,
        possible: total,
        percent: (100 * l.points) / total,
        problems_attempted: l.problems,
      };
    })
    .sort((a, b) => cmp(a.course, b.course) || cmp(a.learner, b.learner));
}

export const DEFAULT_BANDS = 10;

export function courseGradeBands(grades: readonly CourseGradeRow[], bandCount = DEFAULT_BANDS): GradeBandRow[] {
  const courses = [...new Set(grades.map((g) => g.course))].sort(cmp);
  return courses.flatMap((course) =>
    bins(
      grades.filter((g) => g.course === course).map((g) => g.percent),
      bandCount,
      { min: 0, max: 100 },
    ).map((b) => ({ course, from: b.from, to: b.to, learners: b.count })),
  );
}
