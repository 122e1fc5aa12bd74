/**
 * Event properties: derived fields computed from an envelope, so analytics read `tincan.verb`
 * instead of knowing each platform's event layout (the prototype's `@event_property`).
 *
 * The same name has one implementation per source (`tincan.actor` for `edx` and for `xapi`);
 * `computeProperty` dispatches on `envelope.source`. The `tincan.*` values agree across sources:
 * for an edX event `tincan.verb` is the verb IRI its xAPI statement would carry.
 */
// TODO: import from '@insights/sdk' once its index exports the envelope type.
import type { EventEnvelope } from '../../../packages/sdk/src/event.ts';
import { makeBlockId } from './xapi/block-ids.ts';
import { fromTrackingLog, xapiVerbOf } from './xapi/index.ts';
import { EDX_SOURCE, XAPI_SOURCE, xapiActor } from './normalise.ts';

export interface EventProperty {
  /** Namespaced name, e.g. `tincan.actor`. */
  readonly name: string;
  readonly description: string;
  /** The envelope source this implementation serves. */
  readonly source: string;
  compute(envelope: EventEnvelope): unknown;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const body = (e: EventEnvelope): Obj | undefined => (isObj(e.payload) ? e.payload : undefined);
const raw = (e: EventEnvelope): Obj => (isObj(e.raw) ? e.raw : {});

const VIDEO_TYPES = new Set([
  'load_video',
  'play_video',
  'pause_video',
  'stop_video',
  'seek_video',
  'complete_video',
  'speed_change_video',
  'show_transcript',
  'hide_transcript',
  'video_show_cc_menu',
  'video_hide_cc_menu',
]);
const isVideoEvent = (e: EventEnvelope): boolean => VIDEO_TYPES.has(e.type) || e.type.startsWith('edx.video.');
const SEEK_TYPES = new Set(['seek_video', 'edx.video.position.changed']);
const COMPLETE_TYPES = new Set(['complete_video', 'edx.video.completed']);

function toNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The problem a browser problem_check / problem_graded body names: its inputs are
 * `input_<html id>_<response>_<input>=...`; an `i4x-org-course-problem-name` html id becomes
 * `i4x://org/course/problem/name`, a bare hex id a `block-v1` key of the event's course.
 */
function problemFromInputs(e: EventEnvelope): string | undefined {
  const p = e.payload;
  const text = typeof p === 'string' ? p : Array.isArray(p) && typeof p[0] === 'string' ? p[0] : undefined;
  const m = text === undefined ? null : /^input_(.+?)_\d+_\d+(?:%5B%5D|\[\])?=/.exec(text);
  if (m === null || m[1] === undefined) return undefined;
  const i4x = /^i4x-([^-]+)-([^-]+)-problem-(.+)$/.exec(m[1]);
  if (i4x !== null) return `i4x://${i4x[1]}/${i4x[2]}/problem/${i4x[3]}`;
  if (/^[0-9a-f]{32}$/.test(m[1]) && e.course !== undefined && /^(course|ccx)-v1:/.test(e.course)) {
    return makeBlockId(e.course, 'problem', m[1]);
  }
  return undefined;
}

function problemId(e: EventEnvelope): string | undefined {
  const b = body(e);
  const direct = str(b?.['problem_id']);
  if (direct !== undefined) return direct;
  const context = raw(e)['context'];
  const usageKey = isObj(context) && isObj(context['module']) ? str(context['module']['usage_key']) : undefined;
  if (usageKey !== undefined && (usageKey.includes('+type@problem+') || usageKey.includes('/problem/'))) return usageKey;
  return problemFromInputs(e);
}

function videoPosition(e: EventEnvelope): number | undefined {
  const b = body(e);
  if (b === undefined || !isVideoEvent(e)) return undefined;
  if (SEEK_TYPES.has(e.type)) return toNumber(b['new_time']);
  const current = toNumber(b['currentTime']) ?? toNumber(b['current_time']);
  if (current === undefined && COMPLETE_TYPES.has(e.type)) return toNumber(b['duration']);
  return current;
}

export const EDX_EVENT_PROPERTIES: readonly EventProperty[] = [
  {
    name: 'tincan.actor',
    description: 'Who acted: the user id (context.user_id), else the username, else the user named in the event body.',
    source: EDX_SOURCE,
    compute: (e) => e.actor,
  },
  {
    name: 'tincan.verb',
    description: 'What was done: the xAPI verb IRI Open edX maps the event to, else the edX event type.',
    source: EDX_SOURCE,
    compute: (e) => xapiVerbOf(fromTrackingLog(raw(e)))?.id ?? e.type,
  },
  {
    name: 'tincan.object',
    description: 'What it was done to: problem, block, video, thread or link id, or the page path of a page view.',
    source: EDX_SOURCE,
    compute: (e) => e.resource,
  },
  {
    name: 'edx.course_id',
    description: 'Course id in its original form (org/course/run or course-v1:org+course+run).',
    source: EDX_SOURCE,
    compute: (e) => e.course,
  },
  {
    name: 'edx.problem_id',
    description: 'Problem usage key (event problem_id, the context module, or the inputs of a browser problem_check).',
    source: EDX_SOURCE,
    compute: problemId,
  },
  {
    name: 'edx.video_id',
    description: 'Video id of a video event, as the player sends it (hex block id or i4x-org-course-video-name).',
    source: EDX_SOURCE,
    compute: (e) => (isVideoEvent(e) ? str(body(e)?.['id']) : undefined),
  },
  {
    name: 'edx.video_position',
    description:
      'Seconds into the video: currentTime for play/pause/stop and transcript events, new_time for seeks, duration for completion.',
    source: EDX_SOURCE,
    compute: videoPosition,
  },
];

const statement = (e: EventEnvelope): Obj => (isObj(e.raw) ? e.raw : {});

export const XAPI_EVENT_PROPERTIES: readonly EventProperty[] = [
  {
    name: 'tincan.actor',
    description: "The actor's account name, else mbox, mbox_sha1sum or openid.",
    source: XAPI_SOURCE,
    compute: (e) => {
      const actor = statement(e)['actor'];
      return isObj(actor) ? xapiActor(actor) : undefined;
    },
  },
  {
    name: 'tincan.verb',
    description: 'The verb IRI (verb.id).',
    source: XAPI_SOURCE,
    compute: (e) => {
      const verb = statement(e)['verb'];
      return isObj(verb) ? str(verb['id']) : undefined;
    },
  },
  {
    name: 'tincan.object',
    description: 'The object id (an activity IRI or a statement id).',
    source: XAPI_SOURCE,
    compute: (e) => {
      const object = statement(e)['object'];
      return isObj(object) ? str(object['id']) : undefined;
    },
  },
];

export const EVENT_PROPERTIES: readonly EventProperty[] = [...EDX_EVENT_PROPERTIES, ...XAPI_EVENT_PROPERTIES];

const BY_SOURCE_AND_NAME: ReadonlyMap<string, EventProperty> = new Map(
  EVENT_PROPERTIES.map((p) => [`${p.source}\u0000${p.name}`, p]),
);

/** The implementation of `name` for the envelope's source, if this module has one. */
export function findProperty(name: string, source: string): EventProperty | undefined {
  return BY_SOURCE_AND_NAME.get(`${source}\u0000${name}`);
}

/** Computes `name` for the envelope, dispatching on its source; undefined when not defined for it. */
export function computeProperty(name: string, envelope: EventEnvelope): unknown {
  return findProperty(name, envelope.source)?.compute(envelope);
}
