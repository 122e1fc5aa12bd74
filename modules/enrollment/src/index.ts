/**
 * Enrollment (issue 6, analytic 6): daily activations, deactivations and mode changes per course
 * and mode, from the LMS's `edx.course.enrollment.*` events.
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { ENROLLMENT_TYPES } from './changes.ts';
import { enrollmentSvg } from './chart.ts';
import { readEnrollmentDaily, recordChanges } from './store.ts';

const day = z.string().regex(/^\d{4}-\d\d-\d\d$/, 'a date as YYYY-MM-DD');
const range = {
  from: day.optional().describe('First day included (YYYY-MM-DD, UTC)'),
  to: day.optional().describe('First day excluded (YYYY-MM-DD, UTC)'),
};

export default defineModule({
  name: 'enrollment',
  version: '1.0.0',
  description: 'Daily enrollment activations, deactivations and mode changes per course and mode.',

  queries: {
    enrollment_daily: query({
      description: 'Per day (UTC), course and mode: activations, deactivations, mode changes (to that mode) and the net change.',
      params: { course: z.string().min(1).optional().describe('Course id; all courses when omitted'), ...range },
      run: (args, { db }) => readEnrollmentDaily(db, args),
    }),
  },

  views: {
    enrollment_chart: view({
      description: 'Daily enrollment changes of one course: grouped bars (svg, png) or the rows per mode (table).',
      params: { course: z.string().min(1).describe('Course id'), ...range, format: formatParam() },
      run: async ({ format, ...args }, { db }) => {
        const rows = await readEnrollmentDaily(db, args);
        return chartView(format, {
          chart: () => enrollmentSvg(args.course, rows),
          records: rows,
          title: `Enrollment changes: ${args.course}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_enrollment_changes: eventHandler({
      description: 'Keeps one record per enrollment event (idempotent by event id).',
      filter: { sources: ['edx'], types: Object.keys(ENROLLMENT_TYPES) },
      handle: (events, { db }) => recordChanges(db, events),
    }),
  },
});

export { enrollmentChange, ENROLLMENT_TYPES, UNKNOWN_MODE } from './changes.ts';
export type { ChangeKind, EnrollmentChange } from './changes.ts';
export { computeEnrollmentDaily } from './compute.ts';
export type { EnrollmentDayRow, RowFilter } from './rows.ts';
