/**
 * The answers of one server `problem_check` event, per problem part, read as the edX analytics
 * pipeline's answer distribution did (edx/analytics/tasks/insights/answer_dist.py):
 *
 * - with `submission` (events since 2014): the part's `answer` text, `correct`, `question`,
 *   `response_type` and `variant`; when the raw `answers` value differs from the text it is the
 *   choice's id (`choice_2`), kept as `value_id`;
 * - without it (older events): the raw `answers` value, correctness from `correct_map`, the
 *   variant from `state.seed`; parts missing from `correct_map` are skipped;
 * - hidden parts (`_dynamath`, `_comment`) are skipped;
 * - list answers (checkboxes) read `[a|b]`.
 */
import { bodyOf, isObj, stampOf, type Obj, type Stamp } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export interface PartAnswer {
  readonly part: string;
  readonly answer: string;
  readonly value_id: string | null;
  readonly correct: boolean;
  readonly question: string;
  readonly response_type: string;
  readonly variant: string;
}

/** One learner's check of one problem. */
export interface Check extends Stamp {
  readonly course: string;
  readonly problem: string;
  readonly learner: string;
  readonly problem_name: string;
  /** The LMS's attempt counter, when the event has it. */
  readonly attempts: number | null;
  readonly parts: readonly PartAnswer[];
}

const isHidden = (part: string) => part.endsWith('_dynamath') || part.endsWith('_comment');

/** Answer values as text: lists as `[a|b]`, as the pipeline's stringify (without its HTML stripping). */
export function answerText(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) return `[${v.map(answerText).join('|')}]`;
  return v === null || v === undefined ? '' : JSON.stringify(v);
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function partsOf(body: Obj): PartAnswer[] {
  const answers = isObj(body['answers']) ? body['answers'] : {};
  const correctMap = isObj(body['correct_map']) ? body['correct_map'] : {};
  const parts: PartAnswer[] = [];
  if (isObj(body['submission'])) {
    for (const [part, s] of Object.entries(body['submission'])) {
      if (isHidden(part) || !isObj(s)) continue;
      const answer = answerText(s['answer']);
      const raw = answerText(answers[part]);
      parts.push({
        part,
        answer,
        value_id: part in answers && raw !== answer ? raw : null,
        correct: s['correct'] === true,
        question: str(s['question']),
        response_type: str(s['response_type']),
        variant: str(s['variant']),
      });
    }
  } else {
    const state = isObj(body['state']) ? body['state'] : {};
    for (const [part, value] of Object.entries(answers)) {
      const cm = correctMap[part];
      if (isHidden(part) || !isObj(cm)) continue;
      parts.push({
        part,
        answer: answerText(value),
        value_id: null,
        correct: cm['correctness'] === 'correct',
        question: '',
        response_type: '',
        variant: str(state['seed']),
      });
    }
  }
  return parts.sort((a, b) => (a.part < b.part ? -1 : a.part > b.part ? 1 : 0));
}

/** True for server problem_check events (their body has `answers`); browser ones carry form text. */
export function isServerCheck(e: EventEnvelope): boolean {
  return e.type === 'problem_check' && isObj(bodyOf(e)?.['answers']);
}

export function checkOf(e: EventEnvelope): Check | undefined {
  const body = bodyOf(e);
  if (!isServerCheck(e) || body === undefined || e.course === undefined || e.actor === undefined) return undefined;
  const problem = typeof body['problem_id'] === 'string' && body['problem_id'] !== '' ? body['problem_id'] : e.resource;
  if (problem === undefined) return undefined;
  const context = isObj(e.raw) && isObj(e.raw['context']) ? e.raw['context'] : {};
  const module = isObj(context['module']) ? context['module'] : {};
  const attempts = typeof body['attempts'] === 'number' ? body['attempts'] : null;
  return {
    ...stampOf(e),
    course: e.course,
    problem,
    learner: e.actor,
    problem_name: str(module['display_name']),
    attempts,
    parts: partsOf(body),
  };
}
