/** Video engagement from a whole list of events at once: the reference the realtime path must equal. */
import { groupBy, uniqueById } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';
import { playerEvent, type PlayerEventOf } from './edx-video-event.ts';
import { matches, sortTimelines, sortWatched, type VideoFilter, type WatchedSegmentRow } from './rows.ts';
import { videoTimeline, type VideoTimeline } from './timeline.ts';
import { viewingsOf, type Viewing } from './viewings.ts';
import { watchedSeconds } from './watched-segments.ts';
import { playbackEvent, type PlaybackEventOf } from './xapi-video-event.ts';

/** 5-second timelines per video from edX player events. */
export function computeVideoTimelines(events: Iterable<EventEnvelope>, filter: VideoFilter = {}): VideoTimeline[] {
  const player = uniqueById(events)
    .map(playerEvent)
    .filter((p): p is PlayerEventOf => p !== undefined && matches(filter, p.course, p.video));
  const out: VideoTimeline[] = [];
  for (const perVideo of groupBy(player, (p) => JSON.stringify([p.course, p.video])).values()) {
    const { course, video } = perVideo[0]!;
    const viewings = new Map<string, Viewing[]>();
    for (const [learner, own] of groupBy(perVideo, (p) => p.learner)) viewings.set(learner, viewingsOf(own));
    const t = videoTimeline(course, video, viewings);
    if (t !== undefined) out.push(t);
  }
  return sortTimelines(out);
}

/** One-second watched segments per learner from xAPI video statements. */
export function computeWatchedSegments(events: Iterable<EventEnvelope>, filter: VideoFilter = {}): WatchedSegmentRow[] {
  const playback = uniqueById(events)
    .map(playbackEvent)
    .filter((p): p is PlaybackEventOf => p !== undefined && matches(filter, p.course, p.video, p.learner));
  const rows: WatchedSegmentRow[] = [];
  for (const own of groupBy(playback, (p) => JSON.stringify([p.course, p.video, p.learner])).values()) {
    const { course, video, learner } = own[0]!;
    for (const w of watchedSeconds(own))
      rows.push({ course, video, learner, video_duration: w.duration, segment: w.segment, watch_count: w.count });
  }
  return sortWatched(rows);
}
