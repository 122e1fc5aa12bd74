/**
 * One xAPI video statement (Open edX's video profile) reduced to a playback event, as the Open
 * edX Aspects model `video_playback_events` reads it (openedx/aspects-dbt, models/video):
 * position = ceil of the `time` result extension (else `time-from`, else 0) at 2-decimal
 * precision; duration = the whole seconds of the `length` context extension; a play at the very
 * end (position = duration) is a replay from the start, position 1.
 */
import { isObj, rawOf, toNumber, epochMs } from '@insights/analytics-common';
import { courseIdFromUrl } from '@insights/module-edx/lib';
import type { EventEnvelope } from '@insights/sdk';

export const XAPI_VIDEO_VERBS = {
  played: 'https://w3id.org/xapi/video/verbs/played',
  paused: 'https://w3id.org/xapi/video/verbs/paused',
  seeked: 'https://w3id.org/xapi/video/verbs/seeked',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  terminated: 'http://adlnet.gov/expapi/verbs/terminated',
} as const;
/** `initialized` is a playback event too, but neither starts nor ends watching: the handler never asks for it. */
const VERBS: ReadonlySet<string> = new Set(Object.values(XAPI_VIDEO_VERBS));

const EXT_TIME = 'https://w3id.org/xapi/video/extensions/time';
const EXT_TIME_FROM = 'https://w3id.org/xapi/video/extensions/time-from';
const EXT_LENGTH = 'https://w3id.org/xapi/video/extensions/length';

export interface PlaybackEvent {
  readonly id: string;
  /** Epoch ms. */
  readonly t: number;
  /** A play starts watching; every other verb ends it. */
  readonly start: boolean;
  /** Whole seconds. */
  readonly pos: number;
  readonly duration: number;
}

export interface PlaybackEventOf extends PlaybackEvent {
  readonly learner: string;
  readonly course: string;
  readonly video: string;
}

/** ceil at 2-decimal precision: 12.001 -> 12 (Decimal32(2) drops the 0.001), 12.01 -> 13. */
function wholePosition(v: unknown): number {
  const n = toNumber(v) ?? 0;
  return Math.ceil(Math.trunc(n * 100 + 1e-7) / 100);
}

export function playbackEvent(e: EventEnvelope): PlaybackEventOf | undefined {
  if (!VERBS.has(e.type) || e.actor === undefined || e.resource === undefined || !e.resource.includes('video+block'))
    return undefined;
  const course = e.course ?? courseIdFromUrl(e.resource);
  if (course === undefined) return undefined;
  const raw = rawOf(e);
  const result = isObj(raw['result']) && isObj(raw['result']['extensions']) ? raw['result']['extensions'] : {};
  const context = isObj(raw['context']) && isObj(raw['context']['extensions']) ? raw['context']['extensions'] : {};
  const duration = Math.trunc(toNumber(context[EXT_LENGTH]) ?? 0);
  const start = e.type === XAPI_VIDEO_VERBS.played;
  const given = result[EXT_TIME] ?? result[EXT_TIME_FROM];
  let pos = wholePosition(given === '' ? undefined : given);
  if (start && pos === duration) pos = 1;
  return { id: e.id, t: epochMs(e.time), start, pos, duration, learner: e.actor, course, video: e.resource };
}
