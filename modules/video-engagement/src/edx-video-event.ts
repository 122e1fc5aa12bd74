/**
 * One edX player event (play, pause, seek, stop) reduced to what a viewing needs, validated as
 * the edX analytics pipeline's UserVideoViewingTask.mapper did (edx/analytics/tasks/insights/video.py):
 * the learner is `context.user_id`; the video is the body's `id` (trimmed); positions must be
 * numbers in [0, 10 h]; a pause without `currentTime` is at 0; a missing or zero `duration` is unknown.
 */
import { bodyOf, contextUserId, epochMs, legacyType, toNumber } from '@insights/analytics-common';
import type { EventEnvelope } from '@insights/sdk';

export const PLAYER_EVENT_TYPES = ['play_video', 'pause_video', 'seek_video', 'stop_video'] as const;
export type PlayerEventType = (typeof PLAYER_EVENT_TYPES)[number];

/** Positions above this are logging errors (the pipeline's VIDEO_MAXIMUM_DURATION). */
export const MAX_POSITION_SECONDS = 36_000;
/** `duration` absent, null or 0. */
export const UNKNOWN_DURATION = -1;

/** The fields kept in the realtime state: short names, since a learner's events are stored per video. */
export interface PlayerEvent {
  readonly id: string;
  /** Epoch ms. */
  readonly t: number;
  readonly type: PlayerEventType;
  /** currentTime (play, pause, stop) or new_time (seek). */
  readonly pos: number;
  /** old_time of a seek, else null. */
  readonly old: number | null;
  readonly duration: number;
}

export interface PlayerEventOf extends PlayerEvent {
  readonly learner: string;
  readonly course: string;
  readonly video: string;
}

function position(v: unknown): number | undefined {
  const n = toNumber(v);
  return n === undefined || n < 0 || n > MAX_POSITION_SECONDS ? undefined : n;
}

function isPlayerType(t: string): t is PlayerEventType {
  return (PLAYER_EVENT_TYPES as readonly string[]).includes(t);
}

export function playerEvent(e: EventEnvelope): PlayerEventOf | undefined {
  const type = legacyType(e);
  if (!isPlayerType(type)) return undefined;
  const learner = contextUserId(e);
  const body = bodyOf(e);
  const video = typeof body?.['id'] === 'string' ? body['id'].trim() : '';
  if (learner === undefined || e.course === undefined || body === undefined || video === '') return undefined;
  const duration = toNumber(body['duration']) || UNKNOWN_DURATION;
  let pos: number | undefined;
  let old: number | null = null;
  switch (type) {
    case 'play_video':
    case 'stop_video':
      pos = position(body['currentTime']);
      break;
    case 'pause_video':
      pos = position(body['currentTime'] ?? 0);
      break;
    case 'seek_video': {
      pos = position(body['new_time']);
      const from = position(body['old_time']);
      if (from === undefined) return undefined;
      old = from;
      break;
    }
  }
  if (pos === undefined) return undefined;
  return { id: e.id, t: epochMs(e.time), type, pos, old, duration, learner, course: e.course, video };
}
