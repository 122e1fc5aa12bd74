import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.ts';
import { startTestNode, type TestNode } from '../support/test-node.ts';
import { REPO_ROOT, SHIPPED_MODULES } from '../support/tmp.ts';

const DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data');

/** Events, blank or comment lines, and bad lines of each real log, counted by hand (see modules/edx tests). */
const LOGS: [string, { events: number; skipped: number; bad: number }][] = [
  ['edx-tracking/answer_dist_acceptance_tracking.log', { events: 693, skipped: 0, bad: 0 }],
  ['edx-tracking/enrollment_trends_tracking.log', { events: 15, skipped: 0, bad: 0 }],
  ['edx-tracking/event_export_tracking.log', { events: 15, skipped: 0, bad: 0 }],
  ['edx-tracking/location_by_course_tracking.log', { events: 74, skipped: 0, bad: 0 }],
  ['edx-tracking/module_engagement_acceptance_tracking_20150413.log', { events: 68, skipped: 0, bad: 0 }],
  ['edx-tracking/module_engagement_acceptance_tracking_20150416.log', { events: 126, skipped: 0, bad: 0 }],
  ['edx-tracking/obfuscation_tracking.log', { events: 17, skipped: 0, bad: 0 }],
  ['edx-tracking/problem_response_tracking.log', { events: 846, skipped: 0, bad: 0 }],
  ['edx-tracking/student_engagement_acceptance_tracking.log', { events: 226, skipped: 78, bad: 0 }],
  ['edx-tracking/student_forum_activity.log', { events: 13, skipped: 12, bad: 0 }],
  ['edx-tracking/user_activity_tracking.log', { events: 207, skipped: 0, bad: 0 }],
  ['edx-tracking/video_timeline.log', { events: 18, skipped: 11, bad: 0 }],
  ['event-routing-backends/tutor-tracking.log', { events: 10, skipped: 0, bad: 2 }],
];

describe.skipIf(!existsSync(DATA))('insights events import - every real log in ../shared/data', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({
      defaultIsolation: 'inline',
      modules: [path.join(SHIPPED_MODULES, 'edx'), path.join(SHIPPED_MODULES, 'testmodule')],
    });
  });
  afterAll(() => node.stop());

  it.each(LOGS)('%s', async (file, expected) => {
    const r = await runCli(['events', 'import', path.join(DATA, file), '--node', node.grpcAddress, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(summary).toMatchObject({
      events: expected.events,
      blankOrComment: expected.skipped,
      badLines: expected.bad,
      accepted: expected.events,
      rejectedByNode: 0,
    });
    expect(summary.lines).toBe(expected.events + expected.skipped + expected.bad);
    if (expected.bad > 0) expect(r.stderr).toMatch(/line 3: /);
  });
});
