/**
 * One-second watched segments of one learner and one video, as Open edX Aspects'
 * `fact_video_segments`: each play pairs with the last non-play event before the next play;
 * when it ended later in the video than it started, seconds max(start, 1) .. end are watched
 * once more. Counts are per (video duration reported by the play, second).
 */
import type { PlaybackEvent } from './xapi-video-event.ts';

export interface WatchedSecond {
  readonly duration: number;
  readonly segment: number;
  readonly count: number;
}

/** Time, then ends before plays at the same time (the model orders by verb: 'end' < 'start'), then id. */
function compare(a: PlaybackEvent, b: PlaybackEvent): number {
  return a.t - b.t || Number(a.start) - Number(b.start) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function watchedSeconds(events: readonly PlaybackEvent[]): WatchedSecond[] {
  const sorted = [...events].sort(compare);
  const counts = new Map<string, WatchedSecond>();
  for (let i = 0; i < sorted.length; i++) {
    const play = sorted[i]!;
    if (!play.start) continue;
    let end: PlaybackEvent | undefined;
    for (let j = i + 1; j < sorted.length && !sorted[j]!.start; j++) end = sorted[j];
    if (end === undefined || end.pos <= play.pos) continue;
    for (let s = Math.max(play.pos, 1); s <= end.pos; s++) {
      const key = `${play.duration}:${s}`;
      const c = counts.get(key);
      counts.set(key, { duration: play.duration, segment: s, count: (c?.count ?? 0) + 1 });
    }
  }
  return [...counts.values()].sort((a, b) => a.duration - b.duration || a.segment - b.segment);
}
