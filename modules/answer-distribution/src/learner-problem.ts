/**
 * A learner's first and last check of a problem: the realtime state, one document per (course,
 * problem, learner). Keeping the earliest and the latest by (time, id) gives the same document
 * whatever order checks arrive in, and a redelivered check changes nothing.
 */
import { compareStamps } from '@insights/analytics-common';
import type { Check } from './submission.ts';

export interface LearnerProblem {
  readonly course: string;
  readonly problem: string;
  readonly learner: string;
  readonly first: Check;
  readonly last: Check;
}

/** The state after `check`, or null when it changes nothing. */
export function withCheck(current: LearnerProblem | null, check: Check): LearnerProblem | null {
  if (current === null)
    return { course: check.course, problem: check.problem, learner: check.learner, first: check, last: check };
  const earlier = compareStamps(check, current.first) < 0;
  const later = compareStamps(check, current.last) > 0;
  if (!earlier && !later) return null;
  return { ...current, first: earlier ? check : current.first, last: later ? check : current.last };
}

/** Folds checks into per-learner states (the batch path). */
export function learnerProblems(checks: Iterable<Check>): LearnerProblem[] {
  const states = new Map<string, LearnerProblem>();
  for (const c of checks) {
    const key = JSON.stringify([c.course, c.problem, c.learner]);
    const next = withCheck(states.get(key) ?? null, c);
    if (next !== null) states.set(key, next);
  }
  return [...states.values()];
}
