/**
 * Answer distribution (issue 6, analytic 3): per problem part, learners' last answers counted
 * per answer value with their correctness, and first-attempt correctness rates, from server
 * `problem_check` events (see submission.ts for how answers are read).
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { answerCounts, learnerAnswers, partCorrectness } from './aggregate.ts';
import { answerDistributionSvg } from './chart.ts';
import { readLearnerProblems, recordChecks } from './store.ts';
import { isServerCheck } from './submission.ts';

const course = z.string().min(1).describe('Course id');
const problem = z.string().min(1).describe('Problem id (usage key)');
const filters = { course: course.optional(), problem: problem.optional() };

export default defineModule({
  name: 'answer-distribution',
  version: '1.0.0',
  description:
    'Per problem part: counts per answer value (last and first answers), correctness, first-attempt correctness rates.',

  queries: {
    answer_distribution: query({
      description: 'Per problem part and answer value: learners whose last (and first) answer it was, and whether it is correct.',
      params: filters,
      run: async (args, { db }) => answerCounts(await readLearnerProblems(db, args)),
    }),
    answer_correctness: query({
      description: 'Per problem part: share of learners correct at their first attempt, and in their last answer.',
      params: filters,
      run: async (args, { db }) => partCorrectness(await readLearnerProblems(db, args)),
    }),
    learner_answers: query({
      description: "Each learner's last answer to each problem part.",
      params: { ...filters, learner: z.string().min(1).optional().describe('Learner (user id, else username)') },
      run: async (args, { db }) => learnerAnswers(await readLearnerProblems(db, args)),
    }),
  },

  views: {
    answer_distribution_chart: view({
      description: "One problem's answer distribution: bars per answer value (svg, png) or the counts (table).",
      params: { course, problem, part: z.string().min(1).optional().describe('Only this part'), format: formatParam() },
      run: async ({ format, part, ...args }, { db }) => {
        const rows = answerCounts(await readLearnerProblems(db, args)).filter((r) => part === undefined || r.part === part);
        return chartView(format, {
          chart: () => answerDistributionSvg(args.problem, rows),
          records: rows,
          title: `Answers: ${args.problem}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_checks: eventHandler({
      description: "Keeps each learner's first and last server problem_check per problem.",
      filter: { sources: ['edx'], types: ['problem_check'], where: isServerCheck },
      partitionBy: 'actor',
      handle: (events, { db }) => recordChecks(db, events),
    }),
  },
});

export { answerCounts, learnerAnswers, partCorrectness } from './aggregate.ts';
export type { AnswerCountRow, AnswerFilter, LearnerAnswerRow, PartCorrectnessRow } from './aggregate.ts';
export { computeAnswerDistribution, computeLearnerAnswers, computeLearnerProblems, computePartCorrectness } from './compute.ts';
export { withCheck } from './learner-problem.ts';
export type { LearnerProblem } from './learner-problem.ts';
export { answerText, checkOf, isServerCheck } from './submission.ts';
export type { Check, PartAnswer } from './submission.ts';
