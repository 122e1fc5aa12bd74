/**
 * The Aspects video seed against Aspects' own expected output (openedx/aspects-dbt @6dc156a7,
 * unit-test-seeds/video/fact_video_segments_expected.csv): the expected rows are not copied here;
 * their count, total and a sha256 over them (sorted as the module sorts) were computed by a
 * Python script from that file, which also reproduced them independently.
 */
import { createHash } from 'node:crypto';
import {
  HAS_REAL_DATA,
  NO_REAL_DATA_MESSAGE,
  envelopes,
  moduleHarness,
  shuffled,
  withRedeliveries,
} from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import videoEngagement, { computeWatchedSegments, type WatchedSegmentRow } from '../src/index.ts';
import { aspectsStatements } from './aspects-csv.ts';

const EXPECTED = { rows: 14_628, watches: 14_900, learnerVideos: 227, videos: 106 };
const EXPECTED_SHA256 = '62946fce946b7c5b434a05413bdda94dd7e84f67b0095d57c88cf4c2e5d94af7';

function digest(rows: readonly WatchedSegmentRow[]): string {
  const lines = rows.map((r) => [r.course, r.video, r.learner, r.video_duration, r.segment, r.watch_count].join(','));
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

describe.skipIf(!HAS_REAL_DATA)('video engagement - xAPI watched segments on the Aspects seed', () => {
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});

  it('equals fact_video_segments_expected.csv row for row', async () => {
    const rows = computeWatchedSegments(envelopes(await aspectsStatements()));
    expect({
      rows: rows.length,
      watches: rows.reduce((n, r) => n + r.watch_count, 0),
      learnerVideos: new Set(rows.map((r) => `${r.video} ${r.learner}`)).size,
      videos: new Set(rows.map((r) => r.video)).size,
    }).toEqual(EXPECTED);
    expect(digest(rows)).toBe(EXPECTED_SHA256);
  });

  it('one learner checked by hand: plays at 4, 152, 152 with seeks to 39 and 154 watch 152-154 once', async () => {
    const learner = 'abb4911f-0c4a-4904-8004-aacfeb710346';
    const video = 'http://localhost:18000/xblock/block-v1:course-v1:Org0+DemoX+2bc51b+type@video+block@3096ea7e';
    const rows = computeWatchedSegments(envelopes(await aspectsStatements()), { video, learner });
    expect(rows.map((r) => [r.segment, r.watch_count])).toEqual([
      [152, 1],
      [153, 1],
      [154, 1],
    ]);
  });

  it('realtime (shuffled, batches of 50, with redeliveries) equals the recompute', async () => {
    const events = envelopes(await aspectsStatements());
    const h = await moduleHarness(videoEngagement);
    try {
      await h.deliver(shuffled(withRedeliveries(events, 5), 11), { batchSize: 50 });
      const rows = await h.query<WatchedSegmentRow[]>('video_watched_segments');
      expect(digest(rows)).toBe(EXPECTED_SHA256);
    } finally {
      await h.close();
    }
  });
});
