/**
 * Weekly course activity (issue 6, analytic 1): distinct learners per course and week (Monday,
 * UTC) who were ACTIVE, ATTEMPTED_PROBLEM, PLAYED_VIDEO or POSTED_FORUM, as the edX analytics
 * pipeline's course_activity table. See labels.ts for the definitions.
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { weeklyActivitySvg, weekRecords } from './chart.ts';
import { mayCount } from './labels.ts';
import { readWeeklyActivity, recordActivity } from './store.ts';

const day = z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a date as YYYY-MM-DD');
const range = {
  from: day.optional().describe('Only weeks starting on or after this day (YYYY-MM-DD)'),
  to: day.optional().describe('Only weeks starting before this day (YYYY-MM-DD)'),
};

export default defineModule({
  name: 'weekly-activity',
  version: '1.0.0',
  description: 'Distinct learners per course and week: active, attempted a problem, played a video, posted in the forums.',

  queries: {
    weekly_activity: query({
      description:
        'Distinct learners per course, week (Monday, UTC) and label (ACTIVE, ATTEMPTED_PROBLEM, PLAYED_VIDEO, POSTED_FORUM).',
      params: { course: z.string().min(1).optional().describe('Course id; all courses when omitted'), ...range },
      run: (args, { db }) => readWeeklyActivity(db, args),
    }),
  },

  views: {
    weekly_activity_chart: view({
      description: 'Weekly activity of one course: grouped bars per week (svg, png) or one row per week (table).',
      params: { course: z.string().min(1).describe('Course id'), ...range, format: formatParam() },
      run: async ({ format, ...args }, { db }) => {
        const records = weekRecords(await readWeeklyActivity(db, args));
        return chartView(format, {
          chart: () => weeklyActivitySvg(args.course, records),
          records,
          title: `Weekly activity: ${args.course}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_activity: eventHandler({
      description: 'Marks each learner active (and attempting, playing, posting) in the week of each event.',
      filter: { sources: ['edx'], where: mayCount },
      handle: (events, { db }) => recordActivity(db, events),
    }),
  },
});

export { computeWeeklyActivity } from './compute.ts';
export { ACTIVITY_LABELS, activityFact, activityLabels } from './labels.ts';
export type { ActivityFact, ActivityLabel } from './labels.ts';
export type { RowFilter, WeeklyActivityRow } from './rows.ts';
