/** Problem checks written for these tests; the expected tables were worked out by hand. */
import { edxEvent, envelopes } from '@insights/analytics-common/testing';

export const C = 'course-v1:TestX+Ans+2020';
export const P = 'block-v1:TestX+Ans+2020+type@problem+block@p1';
const Q = 'block-v1:TestX+Ans+2020+type@problem+block@q1';
const R = 'block-v1:TestX+Ans+2020+type@problem+block@r1';
export const PART_A = 'p1_2_1'; // multiple choice: choice_a "Red" is correct
export const PART_B = 'p1_3_1'; // numerical: 5 is correct

let minute = 0;
const at = () => new Date(Date.UTC(2020, 4, 1, 9, minute++)).toISOString();

interface Part {
  id: string;
  answer: string | string[];
  raw?: string | string[];
  correct: boolean;
  type: string;
}
function check(user: number, problem: string, name: string, parts: Part[], extra: Record<string, unknown> = {}) {
  return edxEvent({
    type: 'problem_check',
    user,
    course: C,
    time: at(),
    context: { module: { display_name: name } },
    event: {
      problem_id: problem,
      attempts: 1,
      answers: Object.fromEntries(parts.map((p) => [p.id, p.raw ?? p.answer])),
      submission: Object.fromEntries(
        parts.map((p) => [
          p.id,
          { answer: p.answer, correct: p.correct, question: `Q ${p.id}`, response_type: p.type, input_type: 'x', variant: '' },
        ]),
      ),
      correct_map: Object.fromEntries(parts.map((p) => [p.id, { correctness: p.correct ? 'correct' : 'incorrect' }])),
      success: parts.every((p) => p.correct) ? 'correct' : 'incorrect',
      grade: parts.filter((p) => p.correct).length,
      max_grade: parts.length,
      ...extra,
    },
  });
}
const red = { id: PART_A, answer: 'Red', raw: 'choice_a', correct: true, type: 'multiplechoiceresponse' };
const blue = { id: PART_A, answer: 'Blue', raw: 'choice_b', correct: false, type: 'multiplechoiceresponse' };
const num = (n: string) => ({ id: PART_B, answer: n, correct: n === '5', type: 'numericalresponse' });

export const EVENTS = envelopes([
  check(1, P, 'Colours', [blue, num('4')]),
  check(1, P, 'Colours', [red, num('5')]),
  check(2, P, 'Colours', [red, num('5')]),
  check(3, P, 'Colours', [blue, num('6')]),
  check(3, P, 'Colours and numbers', [blue, num('5'), { id: 'p1_3_1_dynamath', answer: '<math/>', correct: false, type: '' }]),
  // A browser check: form text, no answers object.
  edxEvent({ type: 'problem_check', source: 'browser', user: 4, course: C, time: at(), event: 'input_p1_2_1=choice_a' }),
  // An old event without `submission`: answers and correct_map only; a part without correctness is skipped.
  edxEvent({
    type: 'problem_check',
    user: 1,
    course: C,
    time: at(),
    event: {
      problem_id: Q,
      answers: { q1_2_1: 'x', q1_3_1: 'y' },
      correct_map: { q1_2_1: { correctness: 'incorrect' } },
      state: { seed: 3 },
    },
  }),
  // Checkboxes: a list answer, with choice ids.
  check(2, R, 'Instruments', [
    { id: 'r1_2_1', answer: ['a piano', 'a guitar'], raw: ['choice_0', 'choice_2'], correct: true, type: 'choiceresponse' },
  ]),
]);

const count = (
  problem: string,
  problem_name: string,
  part: string,
  response_type: string,
  answer: string,
  value_id: string | null,
  correct: boolean,
  last: number,
  first: number,
  variant = '',
) => ({
  course: C,
  problem,
  problem_name,
  part,
  question: problem === Q ? '' : `Q ${part}`,
  response_type,
  answer,
  value_id,
  variant,
  correct,
  last_answer_count: last,
  first_answer_count: first,
});
const MC = 'multiplechoiceresponse';
const NUM = 'numericalresponse';
const NAME = 'Colours and numbers'; // the latest check's display name

export const EXPECTED_COUNTS = [
  count(P, NAME, PART_A, MC, 'Red', 'choice_a', true, 2, 1),
  count(P, NAME, PART_A, MC, 'Blue', 'choice_b', false, 1, 2),
  count(P, NAME, PART_B, NUM, '4', null, false, 0, 1),
  count(P, NAME, PART_B, NUM, '5', null, true, 3, 1),
  count(P, NAME, PART_B, NUM, '6', null, false, 0, 1),
  count(Q, '', 'q1_2_1', '', 'x', null, false, 1, 1, '3'),
  count(R, 'Instruments', 'r1_2_1', 'choiceresponse', '[a piano|a guitar]', '[choice_0|choice_2]', true, 1, 1),
];

const rates = (
  problem: string,
  problem_name: string,
  part: string,
  question: string,
  f: number,
  fc: number,
  l: number,
  lc: number,
) => ({
  course: C,
  problem,
  problem_name,
  part,
  question,
  first_attempt_learners: f,
  first_attempt_correct: fc,
  first_attempt_correct_rate: fc / f,
  last_answer_learners: l,
  last_answer_correct: lc,
  last_answer_correct_rate: lc / l,
});
export const EXPECTED_CORRECTNESS = [
  rates(P, NAME, PART_A, `Q ${PART_A}`, 3, 1, 3, 2),
  rates(P, NAME, PART_B, `Q ${PART_B}`, 3, 1, 3, 3),
  rates(Q, '', 'q1_2_1', '', 1, 0, 1, 0),
  rates(R, 'Instruments', 'r1_2_1', 'Q r1_2_1', 1, 1, 1, 1),
];
