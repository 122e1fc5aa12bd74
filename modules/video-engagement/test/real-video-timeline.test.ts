/** video_timeline.log against the edX pipeline's own acceptance test (tests/acceptance/test_video.py @dda3931f). */
import {
  DELIVERY_SCENARIOS,
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  readLogEnvelopes,
  underEveryScenario,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import videoEngagement, { computeVideoTimelines } from '../src/index.ts';

const I4X_A = 'i4x-edX-DemoX-video-3cb54a11efae4ccc8a0aade24d14b255';
const I4X_B = 'i4x-edX-DemoX-video-8c0028eb2a724f48a074bc184cd8635f';
const summary = (
  course: string,
  video: string,
  duration: number,
  users_at_start: number,
  users_at_end: number,
  total_viewed_seconds: number,
  duration_known = false,
) => ({
  course,
  video,
  duration,
  duration_known,
  segment_length: 5,
  users_at_start,
  users_at_end,
  total_viewed_seconds,
});
const segment = (course: string, video: string, s: number, learners: number, views: number) => ({
  course,
  video,
  segment: s,
  start_second: 5 * s,
  learners,
  views,
});

/** The pipeline's `video` table rows (pipeline_video_id = course|video). */
const EXPECTED_SUMMARIES = [
  summary('course-v1:edX+DemoX+Test_2014', '0b9e39477cf34507a7a48f74be381fdd', 4, 1, 1, 5),
  summary('course-v1:edX+DemoX+Test_2015', '0b9e39477cf34507a7a48f74be381fdd1', 444, 1, 0, 5, true),
  summary('edX/DemoX/Demo_Course', I4X_A, 24, 2, 2, 60),
  summary('edX/DemoX/Demo_Course', I4X_B, 24, 0, 1, 15),
];
/** The pipeline's `video_timeline` rows. */
const EXPECTED_SEGMENTS = [
  segment('course-v1:edX+DemoX+Test_2014', '0b9e39477cf34507a7a48f74be381fdd', 0, 1, 1),
  segment('course-v1:edX+DemoX+Test_2015', '0b9e39477cf34507a7a48f74be381fdd1', 0, 1, 1),
  segment('edX/DemoX/Demo_Course', I4X_A, 0, 2, 2),
  segment('edX/DemoX/Demo_Course', I4X_A, 1, 2, 3),
  segment('edX/DemoX/Demo_Course', I4X_A, 2, 1, 2),
  segment('edX/DemoX/Demo_Course', I4X_A, 3, 2, 2),
  segment('edX/DemoX/Demo_Course', I4X_A, 4, 2, 3),
  segment('edX/DemoX/Demo_Course', I4X_B, 2, 1, 1),
  segment('edX/DemoX/Demo_Course', I4X_B, 3, 1, 1),
  segment('edX/DemoX/Demo_Course', I4X_B, 4, 1, 1),
];

describe.skipIf(!HAS_REAL_DATA)('video engagement - video_timeline.log', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('reproduces the pipeline acceptance test: video and video_timeline tables', async () => {
    const t = computeVideoTimelines(await readLogEnvelopes('edx-tracking/video_timeline.log'));
    expect(t.map((v) => v.summary)).toEqual(EXPECTED_SUMMARIES);
    expect(t.flatMap((v) => v.segments)).toEqual(EXPECTED_SEGMENTS);
  });

  it('realtime under every delivery scenario equals the recompute', async () => {
    const events = await readLogEnvelopes('edx-tracking/video_timeline.log');
    const runs = await underEveryScenario(videoEngagement, events, async (h) => [
      await h.query('video_engagement'),
      await h.query('video_timeline'),
    ]);
    expect(runs).toHaveLength(DELIVERY_SCENARIOS.length);
    for (const run of runs) expect(run.result, run.scenario).toEqual([EXPECTED_SUMMARIES, EXPECTED_SEGMENTS]);
  });
});
