/**
 * Analytics straight from the LMS's read replica (the prototype's "a lot of analytics can be
 * performed directly from the LMS databases"): the operator grants this module a SQL source
 * named `lms` (sql.sources.lms in the node config); the node runs the statements read-only.
 */
import { defineModule, query, table, view, z } from '@insights/sdk';
import { enrollmentModeRows, problemGradeRows } from './rows.ts';
import { ENROLLMENT_BY_MODE, PROBLEM_GRADES } from './statements.ts';

export const SOURCE = 'lms';

const course = z.string().min(1).describe('Course id, e.g. edX/DemoX/Demo_Course');

export default defineModule({
  name: 'lms-replica',
  version: '1.0.0',
  description: "Grade distribution and enrollment by mode, read from the LMS's read replica (Open edX MySQL tables).",

  queries: {
    problem_grades: query({
      description:
        "Per problem and score: learners whose latest state holds that grade (courseware_studentmodule), in grade-distribution's row shape.",
      params: { course: course.optional(), problem: z.string().min(1).optional().describe('Problem usage key') },
      run: async ({ course: c = null, problem = null }, ctx) =>
        problemGradeRows(await ctx.sql(SOURCE).query(PROBLEM_GRADES, [c, c, problem, problem])),
    }),
    enrollment_by_mode: query({
      description: 'Per course and mode: active enrollments now (student_courseenrollment).',
      params: { course: course.optional() },
      run: async ({ course: c = null }, ctx) => enrollmentModeRows(await ctx.sql(SOURCE).query(ENROLLMENT_BY_MODE, [c, c])),
    }),
  },

  views: {
    enrollment_table: view({
      description: 'Active enrollments per mode of one course, as a table.',
      params: { course },
      run: async ({ course: c }, ctx) => {
        const rows = enrollmentModeRows(await ctx.sql(SOURCE).query(ENROLLMENT_BY_MODE, [c, c]));
        return table(
          ['mode', 'learners'],
          rows.map((r) => [r.mode, r.learners]),
        );
      },
    }),
  },
});

export { enrollmentModeRows, problemGradeRows } from './rows.ts';
export type { EnrollmentModeRow, ProblemGradeRow } from './rows.ts';
