/** The answer tables from a whole list of events at once: the reference the realtime path must equal. */
import { uniqueById } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';
import { answerCounts, learnerAnswers, partCorrectness, selectStates, type AnswerFilter } from './aggregate.ts';
import { learnerProblems, type LearnerProblem } from './learner-problem.ts';
import { checkOf, type Check } from './submission.ts';

export function computeLearnerProblems(events: Iterable<EventEnvelope>, filter: AnswerFilter = {}): LearnerProblem[] {
  const checks = uniqueById(events)
    .map(checkOf)
    .filter((c): c is Check => c !== undefined);
  return selectStates(learnerProblems(checks), filter);
}

export const computeAnswerDistribution = (events: Iterable<EventEnvelope>, filter: AnswerFilter = {}) =>
  answerCounts(computeLearnerProblems(events, filter));
export const computePartCorrectness = (events: Iterable<EventEnvelope>, filter: AnswerFilter = {}) =>
  partCorrectness(computeLearnerProblems(events, filter));
export const computeLearnerAnswers = (events: Iterable<EventEnvelope>, filter: AnswerFilter = {}) =>
  learnerAnswers(computeLearnerProblems(events, filter));
