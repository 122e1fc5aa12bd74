/**
 * A learner's score on a problem: the `grade` and `max_grade` of their latest server
 * `problem_check` (what the LMS stores as the problem's score). One document per (course,
 * problem, learner) keeps the latest by (time, id), so arrival order and redelivery do not matter.
 */
import { bodyOf, compareStamps, isObj, stampOf, toNumber, type Stamp } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export interface Score extends Stamp {
  readonly course: string;
  readonly problem: string;
  readonly learner: string;
  readonly problem_name: string;
  readonly grade: number;
  readonly max_grade: number;
}

/** Server checks carry `grade` and `max_grade`; browser checks carry form text. */
export function isGradedCheck(e: EventEnvelope): boolean {
  const body = bodyOf(e);
  return e.type === 'problem_check' && toNumber(body?.['grade']) !== undefined && (toNumber(body?.['max_grade']) ?? 0) > 0;
}

export function scoreOf(e: EventEnvelope): Score | undefined {
  const body = bodyOf(e);
  if (!isGradedCheck(e) || body === undefined || e.course === undefined || e.actor === undefined) return undefined;
  const problem = typeof body['problem_id'] === 'string' && body['problem_id'] !== '' ? body['problem_id'] : e.resource;
  if (problem === undefined) return undefined;
  const context = isObj(e.raw) && isObj(e.raw['context']) ? e.raw['context'] : {};
  const name = isObj(context['module']) ? context['module']['display_name'] : undefined;
  return {
    ...stampOf(e),
    course: e.course,
    problem,
    learner: e.actor,
    problem_name: typeof name === 'string' ? name : '',
    grade: toNumber(body['grade'])!,
    max_grade: toNumber(body['max_grade'])!,
  };
}

/** The later of two scores of the same learner and problem; null when `next` is not newer. */
export function newer(current: Score | null, next: Score): Score | null {
  return current === null || compareStamps(next, current) > 0 ? next : null;
}

/** Latest score per (course, problem, learner), for the batch path. */
export function latestScores(scores: Iterable<Score>): Score[] {
  const latest = new Map<string, Score>();
  for (const s of scores) {
    const key = JSON.stringify([s.course, s.problem, s.learner]);
    const n = newer(latest.get(key) ?? null, s);
    if (n !== null) latest.set(key, n);
  }
  return [...latest.values()];
}
