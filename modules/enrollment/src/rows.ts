/** Result rows: one per day, course and mode; shared by the batch and realtime paths. */
import type { ChangeKind } from './changes.ts';

export interface EnrollmentDayRow {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly course: string;
  readonly mode: string;
  readonly activations: number;
  readonly deactivations: number;
  /** Learners who switched to this mode that day. */
  readonly mode_changes: number;
  /** activations - deactivations. */
  readonly net_change: number;
}

export interface RowFilter {
  readonly course?: string | undefined;
  /** First day included, `YYYY-MM-DD`. */
  readonly from?: string | undefined;
  /** First day excluded. */
  readonly to?: string | undefined;
}

export type Counts = Record<ChangeKind, number>;

export function inRange(day: string, f: RowFilter): boolean {
  return (f.from === undefined || day >= f.from) && (f.to === undefined || day < f.to);
}

export function makeRow(day: string, course: string, mode: string, c: Counts): EnrollmentDayRow {
  return {
    day,
    course,
    mode,
    activations: c.activated,
    deactivations: c.deactivated,
    mode_changes: c.mode_changed,
    net_change: c.activated - c.deactivated,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Day, then course, then mode. */
export function sortRows(rows: EnrollmentDayRow[]): EnrollmentDayRow[] {
  return rows.sort((a, b) => cmp(a.day, b.day) || cmp(a.course, b.course) || cmp(a.mode, b.mode));
}
