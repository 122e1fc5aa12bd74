/**
 * Grade distribution (issue 6, analytic 4): per problem (learners per score of their latest
 * check) and per course (learners' share of the course's known problem points, in bands), as
 * data and as histogram images (PNG by default).
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { courseGradeBands, courseGrades, DEFAULT_BANDS, problemGrades } from './aggregate.ts';
import { courseHistogramSvg, problemHistogramSvg } from './chart.ts';
import { isGradedCheck } from './score.ts';
import { readScores, recordScores } from './store.ts';

const course = z.string().min(1).describe('Course id');
const problem = z.string().min(1).describe('Problem id (usage key)');
const bands = z.number().int().min(1).max(100).default(DEFAULT_BANDS).describe('Number of equal bands over 0-100 %');

export default defineModule({
  name: 'grade-distribution',
  version: '1.0.0',
  description: 'Grade distribution per problem and per course: tables and histogram images.',

  queries: {
    problem_grades: query({
      description: 'Per problem and score: learners whose latest check got that score.',
      params: { course: course.optional(), problem: problem.optional() },
      run: async (args, { db }) => problemGrades(await readScores(db, args)),
    }),
    course_grades: query({
      description: "Per learner: points of their latest checks, the course's known problem points, and the percentage.",
      params: { course: course.optional() },
      run: async (args, { db }) => courseGrades(await readScores(db, args)),
    }),
    course_grade_distribution: query({
      description: "Per course: learners per band of course percentage (the histogram's data).",
      params: { course: course.optional(), bands },
      run: async ({ bands: n, ...args }, { db }) => courseGradeBands(courseGrades(await readScores(db, args)), n),
    }),
  },

  views: {
    grade_histogram: view({
      description: "Histogram of one problem's scores (with `problem`) or of a course's grades: png (default), svg or table.",
      params: { course, problem: problem.optional(), bands, format: formatParam('png') },
      run: async ({ format, bands: n, ...args }, { db }) => {
        if (args.problem !== undefined) {
          const rows = problemGrades(await readScores(db, args));
          return chartView(format, {
            chart: () => problemHistogramSvg(args.problem!, rows),
            records: rows,
            title: `Scores: ${args.problem}`,
          });
        }
        const grades = courseGrades(await readScores(db, { course: args.course }));
        return chartView(format, {
          chart: () => courseHistogramSvg(args.course, grades, n),
          records: courseGradeBands(grades, n),
          title: `Grades: ${args.course}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_scores: eventHandler({
      description: "Keeps each learner's latest score per problem from server problem_check events.",
      filter: { sources: ['edx'], types: ['problem_check'], where: isGradedCheck },
      partitionBy: 'actor',
      handle: (events, { db }) => recordScores(db, events),
    }),
  },
});

export { courseGradeBands, courseGrades, DEFAULT_BANDS, problemGrades } from './aggregate.ts';
export type { CourseGradeRow, GradeBandRow, GradeFilter, ProblemGradeRow } from './aggregate.ts';
export { computeCourseGradeBands, computeCourseGrades, computeProblemGrades, computeScores } from './compute.ts';
export { isGradedCheck, scoreOf } from './score.ts';
export type { Score } from './score.ts';
