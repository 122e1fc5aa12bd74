/**
 * Realtime state: one event log per (course, learner, UTC day), holding the day's event ids and
 * times and their gap totals. Gaps depend on the order of a learner's events, so a day's totals
 * are recomputed from its log whatever order events arrive in; events are kept by id, so a
 * redelivered one changes nothing (no `seen` collection). Day buckets bound the document a
 * write rewrites; the query adds the gap between one active day's last event and the next's first.
 */
import { appendToEventLogs, docId, groupBy, utcDay } from '@insights/analytics-common';
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import { activityEvent, type ActivityEvent } from './activity.ts';
import { addGap, gapTotals, type GapTotals } from './gaps.ts';
import { makeRow, sortRows, type TimeFilter, type TimeOnTaskRow } from './rows.ts';

export const LEARNER_DAYS = 'learner_days';

interface DayDoc {
  course: string;
  learner: string;
  day: string;
  derived: GapTotals;
}

export async function recordActivity(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  const c = db.collection(LEARNER_DAYS);
  const activity = events.map(activityEvent).filter((a): a is ActivityEvent => a !== undefined);
  const logs = [...groupBy(activity, (a) => docId([a.course, a.learner, utcDay(new Date(a.t).toISOString())])).values()].map(
    (own) => {
      const { course, learner, t } = own[0]!;
      const day = utcDay(new Date(t).toISOString());
      return { id: docId([course, learner, day]), fields: { course, learner, day }, events: own.map(({ id, t }) => ({ id, t })) };
    },
  );
  await appendToEventLogs(c, logs, (all) => gapTotals(all.map((e) => e.t))!);
}

/** A learner's days, in order, joined: the gap across each day boundary counts like any other. */
function joinDays(days: readonly DayDoc[]): GapTotals {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : 1));
  const first = sorted[0]!.derived;
  const acc = { within: [...first.within], breaks: [...first.breaks] };
  let events = first.events;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]!.derived;
    addGap(acc, d.first - sorted[i - 1]!.derived.last);
    d.within.forEach((w, k) => (acc.within[k]! += w));
    d.breaks.forEach((b, k) => (acc.breaks[k]! += b));
    events += d.events;
  }
  return { events, first: first.first, last: sorted[sorted.length - 1]!.derived.last, ...acc };
}

export async function readTimeOnTask(db: Db, f: TimeFilter = {}): Promise<TimeOnTaskRow[]> {
  const q: Document = {};
  if (f.course !== undefined) q['course'] = f.course;
  if (f.learner !== undefined) q['learner'] = f.learner;
  const days = (await db
    .collection(LEARNER_DAYS)
    .find(q, { projection: { events: 0 } })
    .toArray()) as unknown as DayDoc[];
  const rows: TimeOnTaskRow[] = [];
  for (const own of groupBy(days, (d) => JSON.stringify([d.course, d.learner])).values())
    rows.push(makeRow(own[0]!.course, own[0]!.learner, joinDays(own)));
  return sortRows(rows);
}
