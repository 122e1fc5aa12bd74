/** One problem's answer distribution: a bar per answer value (per part), last and first answers side by side. */
import { barChartSvg } from '@insights/charts';
import type { AnswerCountRow } from './aggregate.ts';

const short = (s: string, n = 24) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function answerDistributionSvg(problem: string, rows: readonly AnswerCountRow[]): string {
  const parts = new Set(rows.map((r) => r.part));
  // Part ids are long (`..._2_1`): keep their last two numbers when a problem has several parts.
  const label = (r: AnswerCountRow) =>
    `${parts.size > 1 ? `${r.part.split('_').slice(-2).join('_')}: ` : ''}${short(r.answer)}${r.correct ? ' ✓' : ''}`;
  return barChartSvg(rows.map(label), [], {
    title: `Answers: ${short(rows[0]?.problem_name || problem, 60)}`,
    xLabel: 'answer (✓ correct)',
    yLabel: 'learners',
    width: Math.max(640, 110 * rows.length),
    series: [
      { name: 'last answer', values: rows.map((r) => r.last_answer_count) },
      { name: 'first answer', values: rows.map((r) => r.first_answer_count) },
    ],
  });
}
