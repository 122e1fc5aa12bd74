/** One course's daily changes, summed over modes, as grouped bars (activations, deactivations, mode changes). */
import { barChartSvg } from '@insights/charts';
import type { EnrollmentDayRow } from './rows.ts';

export function enrollmentSvg(course: string, rows: readonly EnrollmentDayRow[]): string {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const sum = (field: 'activations' | 'deactivations' | 'mode_changes') =>
    days.map((d) => rows.filter((r) => r.day === d).reduce((n, r) => n + r[field], 0));
  return barChartSvg(days, [], {
    title: `Enrollment changes: ${course}`,
    xLabel: 'day (UTC)',
    yLabel: 'learners',
    width: Math.max(640, 70 * days.length),
    series: [
      { name: 'activations', values: sum('activations') },
      { name: 'deactivations', values: sum('deactivations') },
      { name: 'mode changes', values: sum('mode_changes') },
    ],
  });
}
