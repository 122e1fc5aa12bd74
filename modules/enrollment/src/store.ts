/**
 * Realtime state: one document per enrollment event, keyed by the event id. A redelivered event
 * upserts the document it already wrote, so counts never double; the daily counts are one
 * aggregation over these small documents.
 */
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import { enrollmentChange } from './changes.ts';
import { inRange, makeRow, sortRows, type EnrollmentDayRow, type RowFilter } from './rows.ts';

export const CHANGES = 'enrollment_changes';

export async function recordChanges(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  const c = db.collection(CHANGES);
  const docs = new Map<string, Document>();
  for (const e of events) {
    const change = enrollmentChange(e);
    if (change === undefined) continue;
    const { id, ...doc } = change;
    docs.set(id, doc);
  }
  // Issued together: one crossing to the database and one commit for the batch.
  await Promise.all([...docs].map(([id, doc]) => c.updateOne({ _id: id }, { $setOnInsert: doc }, { upsert: true })));
}

const countOf = (kind: string) => ({ $sum: { $cond: [{ $eq: ['$kind', kind] }, 1, 0] } });

export async function readEnrollmentDaily(db: Db, filter: RowFilter = {}): Promise<EnrollmentDayRow[]> {
  const match: Document = {};
  if (filter.course !== undefined) match['course'] = filter.course;
  const groups = await db
    .collection(CHANGES)
    .aggregate<{
      _id: { day: string; course: string; mode: string };
      activated: number;
      deactivated: number;
      mode_changed: number;
    }>([
      { $match: match },
      {
        $group: {
          _id: { day: '$day', course: '$course', mode: '$mode' },
          activated: countOf('activated'),
          deactivated: countOf('deactivated'),
          mode_changed: countOf('mode_changed'),
        },
      },
    ])
    .toArray();
  return sortRows(groups.filter((g) => inRange(g._id.day, filter)).map((g) => makeRow(g._id.day, g._id.course, g._id.mode, g)));
}
