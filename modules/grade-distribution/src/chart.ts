/** Histograms: learners per score of one problem; learners per 10-point band of course grade. */
import { barChartSvg, fmt, histogramSvg } from '@insights/charts';
import type { CourseGradeRow, ProblemGradeRow } from './aggregate.ts';

export function problemHistogramSvg(problem: string, rows: readonly ProblemGradeRow[]): string {
  const name = rows[0]?.problem_name || problem;
  return barChartSvg(
    rows.map((r) => `${fmt(r.grade)}/${fmt(r.max_grade)}`),
    rows.map((r) => r.learners),
    { title: `Scores: ${name}`, xLabel: 'score (latest check)', yLabel: 'learners' },
  );
}

export function courseHistogramSvg(course: string, grades: readonly CourseGradeRow[], bandCount: number): string {
  return histogramSvg(
    grades.map((g) => g.percent),
    {
      title: `Grades: ${course}`,
      xLabel: 'percent of known problem points',
      yLabel: 'learners',
      binCount: bandCount,
      range: { min: 0, max: 100 },
    },
  );
}
