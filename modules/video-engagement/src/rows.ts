/** Result filters and orders shared by the batch and realtime paths. */
import type { VideoTimeline } from './timeline.ts';

export interface VideoFilter {
  readonly course?: string | undefined;
  readonly video?: string | undefined;
  readonly learner?: string | undefined;
}

/** A learner's watch count of one second of one video (xAPI). */
export interface WatchedSegmentRow {
  readonly course: string;
  readonly video: string;
  readonly learner: string;
  /** Video length the play statement reported, whole seconds (0 when absent). */
  readonly video_duration: number;
  /** Second of the video, from 1. */
  readonly segment: number;
  readonly watch_count: number;
}

export function matches(f: VideoFilter, course: string, video: string, learner?: string): boolean {
  return (
    (f.course === undefined || f.course === course) &&
    (f.video === undefined || f.video === video) &&
    (f.learner === undefined || learner === undefined || f.learner === learner)
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortTimelines(t: VideoTimeline[]): VideoTimeline[] {
  return t.sort((a, b) => cmp(a.summary.course, b.summary.course) || cmp(a.summary.video, b.summary.video));
}

export function sortWatched(rows: WatchedSegmentRow[]): WatchedSegmentRow[] {
  return rows.sort(
    (a, b) =>
      cmp(a.course, b.course) ||
      cmp(a.video, b.video) ||
      cmp(a.learner, b.learner) ||
      a.video_duration - b.video_duration ||
      a.segment - b.segment,
  );
}
