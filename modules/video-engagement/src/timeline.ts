/**
 * Per-video usage from all learners' viewings, as the edX pipeline's VideoUsageTask: 5-second
 * segments with distinct learners and views, learners at the start (segment 0) and at the end
 * (the segment holding max(duration - 30 s, 0.95 x duration): credits are not required), and
 * seconds viewed (views x 5 over the reported segments).
 *
 * The duration is the largest any viewing reported, or unknown when one did not; an unknown
 * duration is inferred from the last segment before viewers drop below 5 % of the next one
 * (events after a video's real end are common).
 */
import { UNKNOWN_DURATION } from './edx-video-event.ts';
import type { Viewing } from './viewings.ts';

export const SEGMENT_SECONDS = 5;
export const DROPOFF_THRESHOLD = 0.05;

export interface VideoSummary {
  readonly course: string;
  readonly video: string;
  /** Seconds (whole), reported or inferred. */
  readonly duration: number;
  readonly duration_known: boolean;
  readonly segment_length: number;
  readonly users_at_start: number;
  readonly users_at_end: number;
  readonly total_viewed_seconds: number;
}

export interface SegmentRow {
  readonly course: string;
  readonly video: string;
  /** 0 for seconds [0, 5), 1 for [5, 10), ... */
  readonly segment: number;
  readonly start_second: number;
  /** Distinct learners who watched any part of it. */
  readonly learners: number;
  /** Viewings that covered any part of it. */
  readonly views: number;
}

export interface VideoTimeline {
  readonly summary: VideoSummary;
  readonly segments: readonly SegmentRow[];
}

const segmentOf = (second: number) => Math.floor(Math.trunc(second) / SEGMENT_SECONDS);

/** The segment where viewers fall below DROPOFF_THRESHOLD of the segment before it, scanning back from the end. */
function inferredFinalSegment(users: ReadonlyMap<number, Set<string>>): number {
  const segments = [...users.keys()].sort((a, b) => b - a);
  let final = segments[0]!;
  let lastUsers = users.get(final)!.size;
  for (const s of segments.slice(1)) {
    const current = users.get(s)!.size;
    if (lastUsers <= current * DROPOFF_THRESHOLD) {
      final = s;
      break;
    }
    lastUsers = current;
  }
  return final;
}

/** `viewings` holds each learner's viewings of this video; undefined when nobody has a valid viewing. */
export function videoTimeline(
  course: string,
  video: string,
  viewings: ReadonlyMap<string, readonly Viewing[]>,
): VideoTimeline | undefined {
  const users = new Map<number, Set<string>>();
  const views = new Map<number, number>();
  let duration = 0;
  for (const [learner, list] of viewings)
    for (const v of list) {
      if (duration !== UNKNOWN_DURATION)
        duration = v.duration === UNKNOWN_DURATION ? UNKNOWN_DURATION : Math.max(duration, v.duration);
      for (let s = segmentOf(v.start); s <= segmentOf(v.end); s++) {
        let u = users.get(s);
        if (u === undefined) users.set(s, (u = new Set()));
        u.add(learner);
        views.set(s, (views.get(s) ?? 0) + 1);
      }
    }
  if (users.size === 0) return undefined;
  const known = duration !== UNKNOWN_DURATION;
  let finalSegment: number;
  if (known) finalSegment = segmentOf(duration);
  else {
    finalSegment = inferredFinalSegment(users);
    duration = (finalSegment + 1) * SEGMENT_SECONDS - 1;
  }
  const endSegment = segmentOf(Math.max(duration - 30, duration * 0.95));
  const segments: SegmentRow[] = [];
  // As the pipeline: segments in order up to and including the final one (all of them when the
  // final segment itself was never watched).
  for (const s of [...users.keys()].sort((a, b) => a - b)) {
    segments.push({
      course,
      video,
      segment: s,
      start_second: s * SEGMENT_SECONDS,
      learners: users.get(s)!.size,
      views: views.get(s)!,
    });
    if (s === finalSegment) break;
  }
  return {
    summary: {
      course,
      video,
      duration: Math.trunc(duration),
      duration_known: known,
      segment_length: SEGMENT_SECONDS,
      users_at_start: users.get(0)?.size ?? 0,
      users_at_end: users.get(endSegment)?.size ?? 0,
      total_viewed_seconds: segments.reduce((n, r) => n + r.views, 0) * SEGMENT_SECONDS,
    },
    segments,
  };
}
