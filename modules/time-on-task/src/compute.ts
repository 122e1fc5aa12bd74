/** Time on task from a whole list of events at once: the reference the realtime path must equal. */
import { groupBy, uniqueById } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';
import { activityEvent, type ActivityEvent } from './activity.ts';
import { gapTotals } from './gaps.ts';
import { makeRow, sortRows, type TimeFilter, type TimeOnTaskRow } from './rows.ts';

export function computeTimeOnTask(events: Iterable<EventEnvelope>, filter: TimeFilter = {}): TimeOnTaskRow[] {
  const activity = uniqueById(events)
    .map(activityEvent)
    .filter((a): a is ActivityEvent => a !== undefined)
    .filter(
      (a) =>
        (filter.course === undefined || a.course === filter.course) &&
        (filter.learner === undefined || a.learner === filter.learner),
    );
  const rows: TimeOnTaskRow[] = [];
  for (const own of groupBy(activity, (a) => JSON.stringify([a.course, a.learner])).values())
    rows.push(makeRow(own[0]!.course, own[0]!.learner, gapTotals(own.map((a) => a.t))!));
  return sortRows(rows);
}
