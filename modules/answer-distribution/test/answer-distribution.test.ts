import { moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import answerDistribution, { computeAnswerDistribution, computeLearnerAnswers, computePartCorrectness } from '../src/index.ts';
import { C, EVENTS, EXPECTED_CORRECTNESS, EXPECTED_COUNTS, P, PART_A } from './fixtures.ts';

describe('answer distribution - the hand-worked fixture', () => {
  it('counts per answer value: last and first answers, correctness, choice ids, lists, old events', () => {
    expect(computeAnswerDistribution(EVENTS)).toEqual(EXPECTED_COUNTS);
  });

  it('correctness per part: first attempts and last answers', () => {
    expect(computePartCorrectness(EVENTS)).toEqual(EXPECTED_CORRECTNESS);
  });

  it("learner answers: each learner's last answer per part", () => {
    expect(computeLearnerAnswers(EVENTS, { problem: P }).map((r) => [r.part, r.learner, r.answer, r.correct])).toEqual([
      [PART_A, '1', 'Red', true],
      [PART_A, '2', 'Red', true],
      [PART_A, '3', 'Blue', false],
      ['p1_3_1', '1', '5', true],
      ['p1_3_1', '2', '5', true],
      ['p1_3_1', '3', '5', true],
    ]);
  });
});

describe('answer distribution - realtime equals replay', () => {
  it('every delivery scenario, all three queries', async () => {
    const runs = await underEveryScenario(answerDistribution, EVENTS, async (h) => [
      await h.query('answer_distribution'),
      await h.query('answer_correctness'),
      await h.query('learner_answers'),
    ]);
    const expected = [EXPECTED_COUNTS, EXPECTED_CORRECTNESS, computeLearnerAnswers(EVENTS)];
    for (const run of runs) expect(run.result, run.scenario).toEqual(expected);
  });

  it('chart of one part (svg) and its table', async () => {
    const h = await moduleHarness(answerDistribution);
    try {
      await h.deliver(EVENTS, { batchSize: 2 });
      const chart = await h.view('answer_distribution_chart', { course: C, problem: P });
      expect(chart.type === 'svg' && chart.svg).toContain('Answers: Colours and numbers');
      const t = await h.view('answer_distribution_chart', { course: C, problem: P, part: PART_A, format: 'table' });
      expect(t.type === 'table' && t.rows.map((r) => [r[6], r[10], r[11]])).toEqual([
        ['Red', 2, 1],
        ['Blue', 1, 2],
      ]);
    } finally {
      await h.close();
    }
  });
});
