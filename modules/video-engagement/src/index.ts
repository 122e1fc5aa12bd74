/**
 * Video engagement (issue 6, analytic 2).
 *
 * - From edX player events (play/pause/seek/stop): per video, 5-second segments with distinct
 *   learners and views, learners at the start and at the end, total seconds viewed (the edX
 *   analytics pipeline's video and video_timeline tables).
 * - From xAPI video statements: one-second watched segments per learner (Open edX Aspects'
 *   fact_video_segments).
 */
import { chartView, formatParam } from '@insights/analytics-common';
import { defineModule, eventHandler, query, view, z } from '@insights/sdk';
import { perSecond, timelineSvg, watchedSvg } from './chart.ts';
import { PLAYER_EVENT_TYPES } from './edx-video-event.ts';
import { readVideoTimelines, readWatchedSegments, recordPlaybackEvents, recordPlayerEvents } from './store.ts';
import { XAPI_VIDEO_VERBS } from './xapi-video-event.ts';

const course = z.string().min(1).describe('Course id');
const video = z.string().min(1).describe("Video: the player's id (edX events) or the xAPI object id");
const optional = { course: course.optional(), video: video.optional() };

/** Newer Open edX events carry these names (the envelope type) with the legacy event_type the module reads. */
const NAMED_PLAYER_EVENTS = ['edx.video.played', 'edx.video.paused', 'edx.video.position.changed', 'edx.video.stopped'];

export default defineModule({
  name: 'video-engagement',
  version: '1.0.0',
  description:
    'Video timelines (5-second segments, learners at start and end, seconds viewed) and per-learner seconds watched (xAPI).',

  queries: {
    video_engagement: query({
      description:
        'Per video: duration, learners at the start, learners at the end (past max(duration - 30 s, 95 %)), total seconds viewed.',
      params: optional,
      run: async (args, { db }) => (await readVideoTimelines(db, args)).map((t) => t.summary),
    }),
    video_timeline: query({
      description: 'Per video and 5-second segment: distinct learners and views.',
      params: optional,
      run: async (args, { db }) => (await readVideoTimelines(db, args)).flatMap((t) => t.segments),
    }),
    video_watched_segments: query({
      description: 'From xAPI video statements: how many times each learner watched each second of each video.',
      params: { ...optional, learner: z.string().min(1).optional().describe('xAPI actor (account name)') },
      run: (args, { db }) => readWatchedSegments(db, args),
    }),
  },

  views: {
    video_timeline_chart: view({
      description: 'Learners and views per 5-second segment of one video (svg, png) or the segments (table).',
      params: { course, video, format: formatParam() },
      run: async ({ format, ...args }, { db }) => {
        const segments = (await readVideoTimelines(db, args)).flatMap((t) => t.segments);
        return chartView(format, {
          chart: () => timelineSvg(args.video, segments),
          records: segments,
          title: `Video timeline: ${args.video}`,
        });
      },
    }),
    video_watched_chart: view({
      description: 'Learners and watches per second of one video, from xAPI statements (svg, png, table).',
      params: { course, video, format: formatParam() },
      run: async ({ format, ...args }, { db }) => {
        const records = perSecond(await readWatchedSegments(db, args));
        return chartView(format, {
          chart: () => watchedSvg(args.video, records),
          records,
          title: `Seconds watched: ${args.video}`,
        });
      },
    }),
  },

  eventHandlers: {
    record_player_events: eventHandler({
      description: "Keeps each learner's player events per video and their viewings.",
      filter: { sources: ['edx'], types: [...PLAYER_EVENT_TYPES, ...NAMED_PLAYER_EVENTS] },
      partitionBy: 'actor',
      handle: (events, { db }) => recordPlayerEvents(db, events),
    }),
    record_xapi_video: eventHandler({
      description: "Keeps each learner's xAPI video statements per video and the seconds they watched.",
      filter: { sources: ['xapi'], types: Object.values(XAPI_VIDEO_VERBS) },
      partitionBy: 'actor',
      handle: (events, { db }) => recordPlaybackEvents(db, events),
    }),
  },
});

export { computeVideoTimelines, computeWatchedSegments } from './compute.ts';
export { playerEvent, PLAYER_EVENT_TYPES, UNKNOWN_DURATION } from './edx-video-event.ts';
export type { PlayerEvent, PlayerEventOf, PlayerEventType } from './edx-video-event.ts';
export type { VideoFilter, WatchedSegmentRow } from './rows.ts';
export { DROPOFF_THRESHOLD, SEGMENT_SECONDS, videoTimeline } from './timeline.ts';
export type { SegmentRow, VideoSummary, VideoTimeline } from './timeline.ts';
export { viewingsOf } from './viewings.ts';
export type { Viewing } from './viewings.ts';
export { watchedSeconds } from './watched-segments.ts';
export type { WatchedSecond } from './watched-segments.ts';
export { playbackEvent, XAPI_VIDEO_VERBS } from './xapi-video-event.ts';
export type { PlaybackEvent, PlaybackEventOf } from './xapi-video-event.ts';
