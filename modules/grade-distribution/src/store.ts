/**
 * Realtime state: one document per (course, problem, learner) holding the latest score, replaced
 * only by a later check (read-modify-write guarded by a revision). A redelivered check is not
 * later than itself, so it changes nothing: no `seen` bookkeeping is needed.
 */
import { docId, updateKeyedMany, type KeyedUpdate } from '@insights/analytics-common';
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import type { GradeFilter } from './aggregate.ts';
import { newer, scoreOf, type Score } from './score.ts';

export const SCORES = 'scores';

export async function recordScores(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  const updates: KeyedUpdate<Score & Document>[] = [];
  for (const e of events) {
    const s = scoreOf(e);
    if (s === undefined) continue;
    updates.push([docId([s.course, s.problem, s.learner]), (cur) => newer(cur === null ? null : toScore(cur), s)]);
  }
  await updateKeyedMany(db.collection(SCORES), updates);
}

function toScore(d: Document): Score {
  const { course, problem, learner, problem_name, grade, max_grade, t, id } = d;
  return { course, problem, learner, problem_name, grade, max_grade, t, id };
}

export async function readScores(db: Db, f: GradeFilter = {}): Promise<Score[]> {
  const q: Document = {};
  if (f.course !== undefined) q['course'] = f.course;
  if (f.problem !== undefined) q['problem'] = f.problem;
  return (await db.collection(SCORES).find(q).toArray()).map(toScore);
}
