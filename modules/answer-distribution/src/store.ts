/**
 * Realtime state: one document per (course, problem, learner) with the learner's first and last
 * check (learner-problem.ts), updated by read-modify-write guarded by a revision. Redelivered
 * checks leave it unchanged, so no `seen` bookkeeping is needed.
 */
import { docId, updateKeyedMany, type KeyedUpdate } from '@insights/analytics-common';
import type { Db, Document, EventEnvelope } from '@insights/sdk';
import type { AnswerFilter } from './aggregate.ts';
import { withCheck, type LearnerProblem } from './learner-problem.ts';
import { checkOf } from './submission.ts';

export const LEARNER_PROBLEMS = 'learner_problems';

export async function recordChecks(db: Db, events: readonly EventEnvelope[]): Promise<void> {
  const updates: KeyedUpdate<LearnerProblem & Document>[] = [];
  for (const e of events) {
    const check = checkOf(e);
    if (check === undefined) continue;
    updates.push([
      docId([check.course, check.problem, check.learner]),
      (cur) =>
        withCheck(
          cur === null
            ? null
            : { course: cur.course, problem: cur.problem, learner: cur.learner, first: cur.first, last: cur.last },
          check,
        ),
    ]);
  }
  await updateKeyedMany(db.collection(LEARNER_PROBLEMS), updates);
}

export async function readLearnerProblems(db: Db, f: AnswerFilter = {}): Promise<LearnerProblem[]> {
  const q: Document = {};
  if (f.course !== undefined) q['course'] = f.course;
  if (f.problem !== undefined) q['problem'] = f.problem;
  if (f.learner !== undefined) q['learner'] = f.learner;
  const docs = await db.collection(LEARNER_PROBLEMS).find(q).toArray();
  return docs.map((d) => ({
    course: d['course'],
    problem: d['problem'],
    learner: d['learner'],
    first: d['first'],
    last: d['last'],
  }));
}
