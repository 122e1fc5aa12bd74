/** End to end in local mode: raw edX lines and xAPI statements through the edx data layer, filters and handlers. */
import { local, type Mesh } from '@insights/client';
import edx from '@insights/module-edx';
import { HAS_REAL_DATA, NO_REAL_DATA_MESSAGE, readLogRaw } from '@insights/analytics-common/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import videoEngagement from '../src/index.ts';
import { EXPECTED_SUMMARIES, EXPECTED_WATCHED, PLAYER_EVENTS, STATEMENTS } from './fixtures.ts';

describe('video engagement - local mode', () => {
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await local({ modules: [edx, videoEngagement] });
  });
  afterEach(() => mesh.close());

  it('player events and statements, each ingested twice', async () => {
    const raws = [...PLAYER_EVENTS, ...STATEMENTS].map((e) => e.raw);
    const report = await mesh.events.ingest(raws);
    // The initialized statement matches no handler filter.
    expect(report.delivered).toEqual({
      'video-engagement.record_player_events': PLAYER_EVENTS.length,
      'video-engagement.record_xapi_video': STATEMENTS.length - 1,
    });
    await mesh.events.ingest(raws);
    expect(await mesh.query.video_engagement!()).toEqual(EXPECTED_SUMMARIES);
    expect(await mesh.query.video_watched_segments!()).toEqual(EXPECTED_WATCHED);
  });

  it.skipIf(!HAS_REAL_DATA)('video_timeline.log: the pipeline acceptance numbers', async () => {
    await mesh.events.ingest(await readLogRaw('edx-tracking/video_timeline.log'));
    const rows = (await mesh.query.video_engagement!()) as {
      users_at_start: number;
      users_at_end: number;
      total_viewed_seconds: number;
    }[];
    expect(rows.map((r) => [r.users_at_start, r.users_at_end, r.total_viewed_seconds])).toEqual([
      [1, 1, 5],
      [1, 0, 5],
      [2, 2, 60],
      [0, 1, 15],
    ]);
  });
  if (!HAS_REAL_DATA) it.skip(NO_REAL_DATA_MESSAGE, () => {});
});
