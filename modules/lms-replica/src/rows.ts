/**
 * Rows in the shapes the event-fed modules answer with (grade-distribution's `problem_grades`,
 * enrollment counts per mode), so a dashboard can take either source.
 */
import type { SqlRow } from '@insights/sdk';

export interface ProblemGradeRow {
  course: string;
  problem: string;
  problem_name: string | null;
  grade: number;
  max_grade: number;
  fraction: number;
  learners: number;
}

export interface EnrollmentModeRow {
  course: string;
  mode: string;
  learners: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function problemGradeRows(rows: readonly SqlRow[]): ProblemGradeRow[] {
  return rows
    .map((r) => {
      const grade = Number(r.grade);
      const max = Number(r.max_grade);
      return {
        course: String(r.course_id),
        problem: String(r.module_id),
        problem_name: null,
        grade,
        max_grade: max,
        fraction: grade / max,
        learners: Number(r.learners),
      };
    })
    .sort((a, b) => cmp(a.course, b.course) || cmp(a.problem, b.problem) || a.fraction - b.fraction || a.max_grade - b.max_grade);
}

export function enrollmentModeRows(rows: readonly SqlRow[]): EnrollmentModeRow[] {
  return rows
    .map((r) => ({ course: String(r.course_id), mode: String(r.mode), learners: Number(r.learners) }))
    .sort((a, b) => cmp(a.course, b.course) || cmp(a.mode, b.mode));
}
