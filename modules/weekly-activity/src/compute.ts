/** Weekly activity from a whole list of events at once: the reference the realtime path must equal. */
import type { EventEnvelope } from '@insights/sdk';
import { activityFact } from './labels.ts';
import { inRange, makeRow, sortRows, type RowFilter, type WeeklyActivityRow } from './rows.ts';

export function computeWeeklyActivity(events: Iterable<EventEnvelope>, filter: RowFilter = {}): WeeklyActivityRow[] {
  const learners = new Map<string, { course: string; week: string; label: WeeklyActivityRow['label']; ids: Set<string> }>();
  for (const e of events) {
    const fact = activityFact(e);
    if (fact === undefined || (filter.course !== undefined && fact.course !== filter.course) || !inRange(fact.week, filter))
      continue;
    for (const label of fact.labels) {
      const key = JSON.stringify([fact.course, fact.week, label]);
      let slot = learners.get(key);
      if (slot === undefined) learners.set(key, (slot = { course: fact.course, week: fact.week, label, ids: new Set() }));
      slot.ids.add(fact.learner);
    }
  }
  return sortRows([...learners.values()].map((s) => makeRow(s.course, s.week, s.label, s.ids.size)));
}
