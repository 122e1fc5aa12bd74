/**
 * From learners' first and last checks to the three result tables. One function for the batch
 * and realtime paths, over the same per-learner states, in a fixed order.
 */
import { compareStamps } from '@insights/analytics-common';
import type { LearnerProblem } from './learner-problem.ts';
import type { Check, PartAnswer } from './submission.ts';

/** How many learners gave one answer value to one part, as their last (and as their first) answer. */
export interface AnswerCountRow {
  readonly course: string;
  readonly problem: string;
  readonly problem_name: string;
  readonly part: string;
  readonly question: string;
  readonly response_type: string;
  readonly answer: string;
  /** The choice id behind the text (`choice_2`), when the problem uses ids. */
  readonly value_id: string | null;
  readonly variant: string;
  readonly correct: boolean;
  readonly last_answer_count: number;
  readonly first_answer_count: number;
}

/** Correctness of one part: first attempts and last answers. */
export interface PartCorrectnessRow {
  readonly course: string;
  readonly problem: string;
  readonly problem_name: string;
  readonly part: string;
  readonly question: string;
  readonly first_attempt_learners: number;
  readonly first_attempt_correct: number;
  readonly first_attempt_correct_rate: number;
  readonly last_answer_learners: number;
  readonly last_answer_correct: number;
  readonly last_answer_correct_rate: number;
}

/** One learner's last answer to one part. */
export interface LearnerAnswerRow {
  readonly course: string;
  readonly problem: string;
  readonly part: string;
  readonly learner: string;
  readonly answer: string;
  readonly value_id: string | null;
  readonly correct: boolean;
  /** ISO time of the last check. */
  readonly time: string;
  readonly attempts: number | null;
}

export interface AnswerFilter {
  readonly course?: string | undefined;
  readonly problem?: string | undefined;
  readonly learner?: string | undefined;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byProblemPart = (a: { course: string; problem: string; part: string }, b: typeof a) =>
  cmp(a.course, b.course) || cmp(a.problem, b.problem) || cmp(a.part, b.part);
const rate = (n: number, d: number) => (d === 0 ? 0 : n / d);

/** The latest check of each problem names it (display names change). */
function latestChecks(states: readonly LearnerProblem[]): Map<string, Check> {
  const latest = new Map<string, Check>();
  for (const s of states) {
    const key = JSON.stringify([s.course, s.problem]);
    const known = latest.get(key);
    if (known === undefined || compareStamps(s.last, known) > 0) latest.set(key, s.last);
  }
  return latest;
}

export function answerCounts(states: readonly LearnerProblem[]): AnswerCountRow[] {
  const names = latestChecks(states);
  const rows = new Map<string, { row: AnswerCountRow; seen: Check; last: number; first: number }>();
  const add = (s: LearnerProblem, check: Check, p: PartAnswer, which: 'first' | 'last') => {
    const key = JSON.stringify([s.course, s.problem, p.part, p.value_id ?? p.answer, p.variant]);
    let slot = rows.get(key);
    const row: AnswerCountRow = {
      course: s.course,
      problem: s.problem,
      problem_name: names.get(JSON.stringify([s.course, s.problem]))!.problem_name,
      part: p.part,
      question: p.question,
      response_type: p.response_type,
      answer: p.answer,
      value_id: p.value_id,
      variant: p.variant,
      correct: p.correct,
      last_answer_count: 0,
      first_answer_count: 0,
    };
    // Details (text, correctness) come from the most recent check that gave this value.
    if (slot === undefined) rows.set(key, (slot = { row, seen: check, last: 0, first: 0 }));
    else if (compareStamps(check, slot.seen) > 0) Object.assign(slot, { row, seen: check });
    slot[which]++;
  };
  for (const s of states) {
    for (const p of s.last.parts) add(s, s.last, p, 'last');
    for (const p of s.first.parts) add(s, s.first, p, 'first');
  }
  return [...rows.values()]
    .map((s) => ({ ...s.row, last_answer_count: s.last, first_answer_count: s.first }))
    .sort((a, b) => byProblemPart(a, b) || cmp(a.value_id ?? a.answer, b.value_id ?? b.answer) || cmp(a.variant, b.variant));
}

export function partCorrectness(states: readonly LearnerProblem[]): PartCorrectnessRow[] {
  const names = latestChecks(states);
  const parts = new Map<
    string,
    { course: string; problem: string; part: string; question: string; seen: Check; f: number; fc: number; l: number; lc: number }
  >();
  const slot = (s: LearnerProblem, check: Check, p: PartAnswer) => {
    const key = JSON.stringify([s.course, s.problem, p.part]);
    let x = parts.get(key);
    if (x === undefined)
      parts.set(
        key,
        (x = { course: s.course, problem: s.problem, part: p.part, question: p.question, seen: check, f: 0, fc: 0, l: 0, lc: 0 }),
      );
    else if (compareStamps(check, x.seen) > 0) Object.assign(x, { question: p.question, seen: check });
    return x;
  };
  for (const s of states) {
    for (const p of s.first.parts) {
      const x = slot(s, s.first, p);
      x.f++;
      if (p.correct) x.fc++;
    }
    for (const p of s.last.parts) {
      const x = slot(s, s.last, p);
      x.l++;
      if (p.correct) x.lc++;
    }
  }
  return [...parts.values()]
    .map((x) => ({
      course: x.course,
      problem: x.problem,
      problem_name: names.get(JSON.stringify([x.course, x.problem]))!.problem_name,
      part: x.part,
      question: x.question,
      first_attempt_learners: x.f,
      first_attempt_correct: x.fc,
      first_attempt_correct_rate: rate(x.fc, x.f),
      last_answer_learners: x.l,
      last_answer_correct: x.lc,
      last_answer_correct_rate: rate(x.lc, x.l),
    }))
    .sort(byProblemPart);
}

export function learnerAnswers(states: readonly LearnerProblem[]): LearnerAnswerRow[] {
  return states
    .flatMap((s) =>
      s.last.parts.map((p) => ({
        course: s.course,
        problem: s.problem,
        part: p.part,
        learner: s.learner,
        answer: p.answer,
        value_id: p.value_id,
        correct: p.correct,
        time: new Date(s.last.t).toISOString(),
        attempts: s.last.attempts,
      })),
    )
    .sort((a, b) => byProblemPart(a, b) || cmp(a.learner, b.learner));
}

export function selectStates(states: readonly LearnerProblem[], f: AnswerFilter): LearnerProblem[] {
  return states.filter(
    (s) =>
      (f.course === undefined || s.course === f.course) &&
      (f.problem === undefined || s.problem === f.problem) &&
      (f.learner === undefined || s.learner === f.learner),
  );
}
