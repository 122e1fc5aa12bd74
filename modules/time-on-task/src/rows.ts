/** Result rows: one per learner and course, in seconds (CSV friendly). */
import type { GapTotals } from './gaps.ts';

export interface TimeOnTaskRow {
  readonly course: string;
  readonly learner: string;
  readonly events: number;
  /** ISO times of the learner's first and last counted event in the course. */
  readonly first_event: string;
  readonly last_event: string;
  /** Sum of gaps shorter than 5 minutes, seconds. */
  readonly seconds_5min: number;
  /** Sessions: runs of events without a 5-minute gap. */
  readonly sessions_5min: number;
  readonly seconds_30min: number;
  readonly sessions_30min: number;
}

export interface TimeFilter {
  readonly course?: string | undefined;
  readonly learner?: string | undefined;
}

export function makeRow(course: string, learner: string, t: GapTotals): TimeOnTaskRow {
  return {
    course,
    learner,
    events: t.events,
    first_event: new Date(t.first).toISOString(),
    last_event: new Date(t.last).toISOString(),
    seconds_5min: t.within[0]! / 1000,
    sessions_5min: 1 + t.breaks[0]!,
    seconds_30min: t.within[1]! / 1000,
    sessions_30min: 1 + t.breaks[1]!,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const sortRows = (rows: TimeOnTaskRow[]) => rows.sort((a, b) => cmp(a.course, b.course) || cmp(a.learner, b.learner));
