/** Weekly activity of one course as grouped bars (one series per label), weeks without activity shown as zero. */
import { addDays } from '@insights/analytics-common';
import { barChartSvg } from '@insights/charts';
import { ACTIVITY_LABELS } from './labels.ts';
import type { WeeklyActivityRow } from './rows.ts';

/** One record per week, a column per label: what the chart shows and the table view lists. */
export type WeekRecord = { week_start: string } & Record<(typeof ACTIVITY_LABELS)[number], number>;

export function weekRecords(rows: readonly WeeklyActivityRow[]): WeekRecord[] {
  if (rows.length === 0) return [];
  const weeks = rows.map((r) => r.week_start).sort();
  const byWeek = new Map<string, WeekRecord>();
  // Every week from the first to the last, so gaps in activity stay visible.
  for (let w = weeks[0]!; w <= weeks[weeks.length - 1]!; w = addDays(w, 7))
    byWeek.set(w, { week_start: w, ACTIVE: 0, ATTEMPTED_PROBLEM: 0, PLAYED_VIDEO: 0, POSTED_FORUM: 0 });
  for (const r of rows) byWeek.get(r.week_start)![r.label] = r.learners;
  return [...byWeek.values()];
}

/** Short legend names: the chart's legend gives each series about 130 px. */
const LEGEND: Record<(typeof ACTIVITY_LABELS)[number], string> = {
  ACTIVE: 'active',
  ATTEMPTED_PROBLEM: 'attempted a problem',
  PLAYED_VIDEO: 'played a video',
  POSTED_FORUM: 'posted',
};

export function weeklyActivitySvg(course: string, records: readonly WeekRecord[]): string {
  return barChartSvg(
    records.map((r) => r.week_start),
    [],
    {
      title: `Weekly activity: ${course}`,
      xLabel: 'week starting (Monday, UTC)',
      yLabel: 'distinct learners',
      // Wider for a few weeks, but never so wide that a year of weeks shrinks to nothing in a frame.
      width: Math.min(1100, Math.max(640, 90 * records.length)),
      series: ACTIVITY_LABELS.map((label) => ({ name: LEGEND[label], values: records.map((r) => r[label]) })),
    },
  );
}
