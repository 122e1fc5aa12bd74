/** Minutes on task per learner: a bar per learner (both cut-offs) for small courses, else a histogram. */
import { barChartSvg, histogramSvg } from '@insights/charts';
import type { TimeOnTaskRow } from './rows.ts';

/** Beyond this many learners, bars per learner are unreadable. */
export const MAX_BARS = 40;

const minutes = (s: number) => Math.round((s / 60) * 10) / 10;

export function timeOnTaskSvg(course: string, rows: readonly TimeOnTaskRow[]): string {
  const title = `Time on task: ${course}`;
  if (rows.length > MAX_BARS)
    return histogramSvg(
      rows.map((r) => minutes(r.seconds_30min)),
      { title: `${title} (30-minute cut-off)`, xLabel: 'minutes on task', yLabel: 'learners', binCount: 20 },
    );
  return barChartSvg(
    rows.map((r) => r.learner),
    [],
    {
      title,
      xLabel: 'learner',
      yLabel: 'minutes',
      width: Math.max(640, 60 * rows.length),
      series: [
        { name: 'gaps < 5 min', values: rows.map((r) => minutes(r.seconds_5min)) },
        { name: 'gaps < 30 min', values: rows.map((r) => minutes(r.seconds_30min)) },
      ],
    },
  );
}
