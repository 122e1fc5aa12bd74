import { moduleHarness, underEveryScenario } from '@insights/analytics-common/testing';
import { describe, expect, it } from 'vitest';
import videoEngagement, { computeVideoTimelines, computeWatchedSegments, playbackEvent } from '../src/index.ts';
import { C, EXPECTED_SEGMENTS, EXPECTED_SUMMARIES, EXPECTED_WATCHED, PLAYER_EVENTS, STATEMENTS, V, X } from './fixtures.ts';

describe('video engagement - 5-second timelines from player events', () => {
  it('computeVideoTimelines - the hand-worked fixture', () => {
    const t = computeVideoTimelines(PLAYER_EVENTS);
    expect(t.map((v) => v.summary)).toEqual(EXPECTED_SUMMARIES);
    expect(t.flatMap((v) => v.segments)).toEqual(EXPECTED_SEGMENTS);
  });

  it('realtime equals replay under every delivery scenario', async () => {
    const runs = await underEveryScenario(videoEngagement, PLAYER_EVENTS, async (h) => [
      await h.query('video_engagement'),
      await h.query('video_timeline', { course: C, video: V }),
    ]);
    for (const run of runs)
      expect(run.result, run.scenario).toEqual([EXPECTED_SUMMARIES, EXPECTED_SEGMENTS.filter((s) => s.video === V)]);
  });
});

describe('video engagement - one-second watched segments from xAPI', () => {
  it('playbackEvent - positions at 2-decimal precision, rounded up; a play at the end restarts at 1', () => {
    expect(STATEMENTS.map((s) => playbackEvent(s)?.pos)).toEqual([undefined, 0, 10, 10, 20, 25, 30, 1, 3, 60, 5, 8, undefined]);
  });

  it('computeWatchedSegments - the hand-worked fixture', () => {
    expect(computeWatchedSegments(STATEMENTS)).toEqual(EXPECTED_WATCHED);
    expect(computeWatchedSegments(STATEMENTS, { learner: 'M' })).toEqual(EXPECTED_WATCHED.filter((r) => r.learner === 'M'));
  });

  it('realtime equals replay under every delivery scenario', async () => {
    const runs = await underEveryScenario(videoEngagement, STATEMENTS, (h) => h.query('video_watched_segments'));
    for (const run of runs) expect(run.result, run.scenario).toEqual(EXPECTED_WATCHED);
  });
});

describe('video engagement - views', () => {
  it('timeline chart (svg, png, table) and seconds-watched chart', async () => {
    const h = await moduleHarness(videoEngagement);
    try {
      await h.deliver([...PLAYER_EVENTS, ...STATEMENTS]);
      const chart = await h.view('video_timeline_chart', { course: C, video: V });
      expect(chart.type === 'svg' && chart.svg).toContain(`Video timeline: ${V}`);
      const image = await h.view('video_timeline_chart', { course: C, video: V, format: 'png' });
      expect(image.type === 'png' && image.data.length).toBeGreaterThan(1000);
      const t = await h.view('video_timeline_chart', { course: C, video: V, format: 'table' });
      expect(t.type === 'table' && t.rows.length).toBe(9);
      const watched = await h.view('video_watched_chart', { course: C, video: X, format: 'table' });
      expect(watched.type === 'table' && watched.columns).toEqual(['second', 'learners', 'watch_count']);
      expect(watched.type === 'table' && watched.rows.slice(4, 11)).toEqual([
        [5, 2, 3],
        [6, 2, 3],
        [7, 2, 3],
        [8, 2, 3],
        [9, 1, 2],
        [10, 1, 3],
        [11, 1, 2],
      ]);
    } finally {
      await h.close();
    }
  });
});
