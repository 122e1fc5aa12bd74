/**
 * Time on task (issue 6, analytic 5): per learner and course, the sum of gaps between consecutive
 * events shorter than a cut-off, for cut-offs of 5 and 30 minutes, with session counts.
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { isActivity } from './activity.ts';
import { timeOnTaskSvg } from './chart.ts';
import { readTimeOnTask, recordActivity } from './store.ts';

const course = z.string().min(1).describe('Course id');

export default defineModule({
  name: 'time-on-task',
  version: '1.0.0',
  description: 'Time on task per learner and course: gaps between consecutive events under 5 and under 30 minutes.',

  queries: {
    time_on_task: query({
      description:
        'Per learner and course: events, first and last event, seconds on task and sessions with 5- and 30-minute cut-offs.',
      params: { course: course.optional(), learner: z.string().min(1).optional().describe('Learner (user id, else username)') },
      run: (args, { db }) => readTimeOnTask(db, args),
    }),
  },

  views: {
    time_on_task_chart: view({
      description: 'Minutes on task per learner of one course (svg, png) or the rows (table).',
      params: { course, format: formatParam() },
      run: async ({ format, ...args }, { db }) => {
        const rows = await readTimeOnTask(db, args);
        return chartView(format, {
          chart: () => timeOnTaskSvg(args.course, rows),
          records: rows,
          title: `Time on task: ${args.course}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_activity: eventHandler({
      description: "Keeps each learner's event times per course and day, with their gap totals.",
      filter: { sources: ['edx'], where: isActivity },
      partitionBy: 'actor',
      handle: (events, { db }) => recordActivity(db, events),
    }),
  },
});

export { activityEvent, isActivity } from './activity.ts';
export type { ActivityEvent } from './activity.ts';
export { computeTimeOnTask } from './compute.ts';
export { CUTOFFS_MINUTES, gapTotals } from './gaps.ts';
export type { GapTotals } from './gaps.ts';
export type { TimeFilter, TimeOnTaskRow } from './rows.ts';
