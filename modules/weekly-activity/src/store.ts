/**
 * Realtime state: one document per (course, week, label, learner). Counting distinct learners is
 * then counting documents, and a redelivered or repeated event upserts a document that already
 * exists, so no event is ever counted twice and no `seen` bookkeeping is needed.
 */
import { docId } from '@insights/analytics-common';
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import { activityFact } from './labels.ts';
import { inRange, makeRow, sortRows, type RowFilter, type WeeklyActivityRow } from './rows.ts';

export const LEARNER_WEEKS = 'learner_weeks';

export async function recordActivity(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  // A batch repeats the same (learner, week) many times: write each key once.
  const docs = new Map<string, Document>();
  for (const e of events) {
    const f = activityFact(e);
    if (f === undefined) continue;
    for (const label of f.labels)
      docs.set(docId([f.course, f.week, label, f.learner]), { course: f.course, week: f.week, label, learner: f.learner });
  }
  const c = db.collection(LEARNER_WEEKS);
  // Issued together: one crossing to the database and one commit for the batch.
  await Promise.all([...docs].map(([id, doc]) => c.updateOne({ _id: id }, { $setOnInsert: doc }, { upsert: true })));
}

export async function readWeeklyActivity(db: Db, filter: RowFilter = {}): Promise<WeeklyActivityRow[]> {
  const match: Document = {};
  if (filter.course !== undefined) match['course'] = filter.course;
  const groups = await db
    .collection(LEARNER_WEEKS)
    .aggregate<{ _id: { course: string; week: string; label: WeeklyActivityRow['label'] }; learners: number }>([
      { $match: match },
      { $group: { _id: { course: '$course', week: '$week', label: '$label' }, learners: { $sum: 1 } } },
    ])
    .toArray();
  return sortRows(
    groups.filter((g) => inRange(g._id.week, filter)).map((g) => makeRow(g._id.course, g._id.week, g._id.label, g.learners)),
  );
}
