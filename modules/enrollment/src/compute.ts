/** Daily enrollment changes from a whole list of events: the reference the realtime path must equal. */
import { uniqueById } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';
import { enrollmentChange } from './changes.ts';
import { inRange, makeRow, sortRows, type Counts, type EnrollmentDayRow, type RowFilter } from './rows.ts';

export function computeEnrollmentDaily(events: Iterable<EventEnvelope>, filter: RowFilter = {}): EnrollmentDayRow[] {
  const groups = new Map<string, { day: string; course: string; mode: string; counts: Counts }>();
  for (const e of uniqueById(events)) {
    const c = enrollmentChange(e);
    if (c === undefined || (filter.course !== undefined && c.course !== filter.course) || !inRange(c.day, filter)) continue;
    const key = JSON.stringify([c.day, c.course, c.mode]);
    let g = groups.get(key);
    if (g === undefined)
      groups.set(
        key,
        (g = { day: c.day, course: c.course, mode: c.mode, counts: { activated: 0, deactivated: 0, mode_changed: 0 } }),
      );
    g.counts[c.kind]++;
  }
  return sortRows([...groups.values()].map((g) => makeRow(g.day, g.course, g.mode, g.counts)));
}
