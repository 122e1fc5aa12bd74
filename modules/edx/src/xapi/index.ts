/**
 * edX event -> xAPI 1.0.3 statement(s), a port of openedx/event-routing-backends' xAPI
 * transformers (@e2acb704) that produces the same statements, ids included, given the same
 * configuration (see `EdxToXapiOptions`).
 *
 * Input is the event as event-routing-backends receives it (the "processed" shape: `name`,
 * `timestamp`, `data`, `context`); use `fromTrackingLog` first for a tracking-log line.
 */
import { EdxDataError } from '../errors.ts';
import { decodeBody } from '../normalise.ts';
import { ENROLLMENT_TRANSFORMERS } from './enrollment.ts';
import { EventData } from './event-data.ts';
import { EXAM_TRANSFORMERS } from './exam.ts';
import { FORUM_TRANSFORMERS } from './forum.ts';
import { GRADING_TRANSFORMERS } from './grading.ts';
import { NAVIGATION_TRANSFORMERS } from './navigation.ts';
import { PROBLEM_TRANSFORMERS } from './problem.ts';
import type { XapiStatement, XapiVerb } from './statement.ts';
import { actorUser, makeRun, runTransformer } from './transformer.ts';
import type { EdxToXapiOptions, Transformer } from './transformer.ts';
import { VIDEO_TRANSFORMERS } from './video.ts';

const REGISTRY: ReadonlyMap<string, Transformer> = new Map(
  Object.entries({
    ...ENROLLMENT_TRANSFORMERS,
    ...EXAM_TRANSFORMERS,
    ...FORUM_TRANSFORMERS,
    ...GRADING_TRANSFORMERS,
    ...NAVIGATION_TRANSFORMERS,
    ...PROBLEM_TRANSFORMERS,
    ...VIDEO_TRANSFORMERS,
  }),
);

/** Event names (`name`) that have an xAPI transformer. */
export const XAPI_SUPPORTED_EVENTS: readonly string[] = [...REGISTRY.keys()].sort();

export function isXapiSupported(name: string): boolean {
  return REGISTRY.has(name);
}

/**
 * The statement for one edX event; an array (parent first) for a multi-question problem_check.
 * Throws `EdxDataError` XAPI_UNSUPPORTED_EVENT for events without a transformer and
 * XAPI_MISSING_FIELD when a required field is absent (including anonymous events: no user).
 */
export function edxToXapi(event: Record<string, unknown>, options: EdxToXapiOptions): XapiStatement | XapiStatement[] {
  const name = event['name'];
  const transformer = typeof name === 'string' ? REGISTRY.get(name) : undefined;
  if (transformer === undefined) {
    throw new EdxDataError('XAPI_UNSUPPORTED_EVENT', `no xAPI transformer for the edX event "${String(name)}"`, {
      field: 'name',
    });
  }
  const run = makeRun(new EventData(event), { ...options, lmsRootUrl: options.lmsRootUrl.replace(/\/+$/, '') });
  try {
    return runTransformer(transformer, run);
  } catch (e) {
    if (e instanceof TypeError) {
      throw new EdxDataError('XAPI_MISSING_FIELD', `cannot convert the edX event "${name as string}" to xAPI: ${e.message}`, {
        cause: e,
      });
    }
    throw e;
  }
}

/** The xAPI verb an edX event maps to (no options needed), or undefined if unsupported. */
export function xapiVerbOf(event: Record<string, unknown>): XapiVerb | undefined {
  const name = event['name'];
  const transformer = typeof name === 'string' ? REGISTRY.get(name) : undefined;
  if (transformer === undefined) return undefined;
  try {
    return transformer.verb(makeRun(new EventData(event), { lmsRootUrl: '', actorId: (u) => u }));
  } catch {
    return undefined;
  }
}

/**
 * The user id (or username) whose xAPI actor id `edxToXapi` asks `options.actorId` for, or
 * undefined when it asks for none (no transformer, anonymous event): callers that compute actor
 * ids asynchronously (keyed by the node) compute this one first.
 */
export function xapiActorUser(event: Record<string, unknown>): string | undefined {
  const name = event['name'];
  if (typeof name !== 'string' || !REGISTRY.has(name)) return undefined;
  return actorUser(new EventData(event));
}

/**
 * A tracking-log event in the shape event-routing-backends receives, as its
 * `transform_tracking_logs` command does: `data` = the decoded `event`, `timestamp` = `time`;
 * additionally `name` = `event_type` for old events that have no `name`.
 */
export function fromTrackingLog(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if ('event' in raw) out['data'] = decodeBody(raw['event']);
  if (!('timestamp' in raw) && 'time' in raw) out['timestamp'] = raw['time'];
  if (typeof raw['name'] !== 'string' && typeof raw['event_type'] === 'string') out['name'] = raw['event_type'];
  return out;
}

export type { EdxToXapiOptions } from './transformer.ts';
export { DEFAULT_TRANSFORMER_VERSION } from './transformer.ts';
