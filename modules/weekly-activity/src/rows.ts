/** The result rows, and the one place that orders and filters them (batch and realtime paths share it). */
import { addDays } from '@insights/analytics-common';
import { ACTIVITY_LABELS, type ActivityLabel } from './labels.ts';

/** Distinct learners of a course in one week under one label. */
export interface WeeklyActivityRow {
  readonly course: string;
  /** Monday, `YYYY-MM-DD` (UTC). */
  readonly week_start: string;
  /** The next Monday (exclusive), as the pipeline's `interval_end`. */
  readonly week_end: string;
  readonly label: ActivityLabel;
  readonly learners: number;
}

export interface RowFilter {
  readonly course?: string | undefined;
  /** First week to include: weeks starting on or after this day. */
  readonly from?: string | undefined;
  /** Weeks starting before this day. */
  readonly to?: string | undefined;
}

export function inRange(week: string, f: RowFilter): boolean {
  return (f.from === undefined || week >= f.from) && (f.to === undefined || week < f.to);
}

export function makeRow(course: string, week: string, label: ActivityLabel, learners: number): WeeklyActivityRow {
  return { course, week_start: week, week_end: addDays(week, 7), label, learners };
}

const labelOrder = (l: ActivityLabel) => ACTIVITY_LABELS.indexOf(l);

/** Course, then week, then label in ACTIVITY_LABELS order. */
export function sortRows(rows: WeeklyActivityRow[]): WeeklyActivityRow[] {
  return rows.sort(
    (a, b) =>
      (a.course < b.course ? -1 : a.course > b.course ? 1 : 0) ||
      (a.week_start < b.week_start ? -1 : a.week_start > b.week_start ? 1 : 0) ||
      labelOrder(a.label) - labelOrder(b.label),
  );
}
