/** Every real tracking log in ../shared/data: line counts, and every good line normalises. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrackingLog, tryNormalise } from '../src/lib.ts';
import { HAS_REAL_DATA, NO_REAL_DATA_MESSAGE, REAL_DATA } from './helpers.ts';

interface Counts {
  events: number;
  blank: number;
  comment: number;
  /** Line numbers of malformed lines. */
  bad: number[];
}

/** Measured on the files as published (SOURCES.md: 2,318 events in edx-tracking/). */
const EXPECTED: Readonly<Record<string, Counts>> = {
  'edx-tracking/answer_dist_acceptance_tracking.log': { events: 693, blank: 0, comment: 0, bad: [] },
  'edx-tracking/enrollment_trends_tracking.log': { events: 15, blank: 0, comment: 0, bad: [] },
  'edx-tracking/event_export_tracking.log': { events: 15, blank: 0, comment: 0, bad: [] },
  'edx-tracking/location_by_course_tracking.log': { events: 74, blank: 0, comment: 0, bad: [] },
  'edx-tracking/module_engagement_acceptance_tracking_20150413.log': { events: 68, blank: 0, comment: 0, bad: [] },
  'edx-tracking/module_engagement_acceptance_tracking_20150416.log': { events: 126, blank: 0, comment: 0, bad: [] },
  'edx-tracking/obfuscation_tracking.log': { events: 17, blank: 0, comment: 0, bad: [] },
  'edx-tracking/problem_response_tracking.log': { events: 846, blank: 0, comment: 0, bad: [] },
  'edx-tracking/student_engagement_acceptance_tracking.log': { events: 226, blank: 56, comment: 22, bad: [] },
  'edx-tracking/student_forum_activity.log': { events: 13, blank: 1, comment: 11, bad: [] },
  'edx-tracking/user_activity_tracking.log': { events: 207, blank: 0, comment: 0, bad: [] },
  'edx-tracking/video_timeline.log': { events: 18, blank: 4, comment: 7, bad: [] },
  'event-routing-backends/tutor-tracking.log': { events: 10, blank: 0, comment: 0, bad: [3, 11] },
};

describe.skipIf(!HAS_REAL_DATA)('real tracking logs', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it.each(Object.entries(EXPECTED))('%s', async (file, expected) => {
    const counts: Counts = { events: 0, blank: 0, comment: 0, bad: [] };
    const notNormalised: string[] = [];
    for await (const line of readTrackingLog(path.join(REAL_DATA, file))) {
      if (line.kind === 'skip') counts[line.skip]++;
      else if (line.kind === 'error') counts.bad.push(line.line);
      else {
        counts.events++;
        const r = tryNormalise(line.event);
        if (!r.ok) notNormalised.push(`line ${line.line}: ${r.error.code} ${r.error.message}`);
        else expect(r.envelope.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
    expect(counts).toEqual(expected);
    expect(notNormalised, `events of ${file} that do not normalise`).toEqual([]);
  });

  it('adds up to the 2,318 events SOURCES.md announces for edx-tracking/', () => {
    const total = Object.entries(EXPECTED)
      .filter(([f]) => f.startsWith('edx-tracking/'))
      .reduce((n, [, c]) => n + c.events, 0);
    expect(total).toBe(2318);
  });
});
