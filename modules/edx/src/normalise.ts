/**
 * Raw platform event -> `EventEnvelope`. Accepts every shape found in the real data:
 *  - Open edX tracking-log lines (`event_type`, `event` as JSON string / object / list, `time`
 *    naive or with zone, optional `context`, `username`, `page`, `event_source`, ...);
 *  - the Open edX "processed" shape event-routing-backends receives (`name`, `timestamp`,
 *    `data`, `context`), and mixtures of both;
 *  - xAPI statements (source `xapi`), recognised by `actor` + `verb` + `object`.
 *
 * Decisions (see the README of this module for the reasons):
 *  - type = `name` when present, else `event_type`. `name` is the current event name and what
 *    event-routing-backends dispatches on (e.g. `edx.ui.lms.sequence.next_selected` where the
 *    legacy `event_type` is `seq_next`); the legacy field stays in `raw`.
 *  - URL-path types (the middleware's per-request event, `/courses/...`, `/dashboard`) become
 *    `page_view`, with the path as `resource`; the original stays in `raw`.
 *  - `anonymous` and empty usernames are placeholders, not actors.
 */
// TODO: import from '@insights/sdk' once its index exports the envelope type.
import type { EventEnvelope } from '../../../packages/sdk/src/event.ts';
import { courseIdFromUrl } from './course-id.ts';
import { EdxDataError } from './errors.ts';
import { eventId } from './event-id.ts';
import { normaliseTime } from './time.ts';

export type NormaliseResult =
  { readonly ok: true; readonly envelope: EventEnvelope } | { readonly ok: false; readonly error: EdxDataError };

export const PAGE_VIEW_TYPE = 'page_view';
export const EDX_SOURCE = 'edx';
export const XAPI_SOURCE = 'xapi';

type Obj = Record<string, unknown>;

/** Normalises or returns a coded error; never throws. Use it for bulk imports. */
export function tryNormalise(raw: unknown): NormaliseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('EDX_NOT_AN_OBJECT', 'cannot normalise the event: it is not a JSON object', undefined);
  }
  const r = raw as Obj;
  return isXapiStatement(r) ? normaliseXapi(r) : normaliseEdx(r);
}

/** Normalises or throws the `EdxDataError` that `tryNormalise` would return. */
export function normalise(raw: unknown): EventEnvelope {
  const result = tryNormalise(raw);
  if (!result.ok) throw result.error;
  return result.envelope;
}

export function isXapiStatement(r: Obj): boolean {
  return isObj(r['actor']) && isObj(r['verb']) && isObj(r['object']);
}

function normaliseEdx(r: Obj): NormaliseResult {
  const originalType = nonEmpty(r['name']) ?? nonEmpty(r['event_type']);
  if (originalType === undefined) {
    return fail(
      'EDX_MISSING_TYPE',
      'cannot normalise the edX event: neither `name` nor `event_type` is a non-empty string',
      'event_type',
    );
  }
  const time = readTime(r, 'time', 'timestamp', 'edX event');
  if (typeof time !== 'string') return time;

  const context = isObj(r['context']) ? r['context'] : undefined;
  const payload = decodeBody('event' in r ? r['event'] : r['data']);
  const body = isObj(payload) ? payload : undefined;
  const isPageView = originalType.charCodeAt(0) === 0x2f; // '/'
  const type = isPageView ? PAGE_VIEW_TYPE : originalType;

  return {
    ok: true,
    envelope: {
      id: eventId(r),
      time,
      source: EDX_SOURCE,
      type,
      actor: edxActor(r, context, body),
      course: edxCourse(r, context, body, isPageView ? originalType : undefined),
      resource: isPageView ? originalType : edxResource(context, body),
      payload,
      raw: r,
      hops: 0,
    },
  };
}

/** `event` as JSON text is decoded; text that is not JSON (truncated 512-char middleware bodies, form-encoded browser bodies, "") stays a string. */
export function decodeBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  let i = 0;
  while (i < body.length && body.charCodeAt(i) <= 0x20) i++;
  const c = body.charCodeAt(i);
  if (c !== 0x7b && c !== 0x5b) return body; // not '{' or '[': skip the throw of JSON.parse
  // JSON text that opens with `{` (`[`) ends with `}` (`]`) before JSON whitespace; truncated
  // bodies do not, so they skip the throw too.
  let end = body.length - 1;
  for (let e = body.charCodeAt(end); e === 0x20 || e === 0x0a || e === 0x0d || e === 0x09; e = body.charCodeAt(end)) end--;
  if (body.charCodeAt(end) !== c + 2) return body; // '{' + 2 = '}', '[' + 2 = ']'
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function edxActor(r: Obj, context: Obj | undefined, body: Obj | undefined): string | undefined {
  return (
    idString(context?.['user_id']) ??
    username(r['username']) ??
    username(context?.['username']) ??
    idString(body?.['user_id']) ??
    username(body?.['username'])
  );
}

function edxCourse(r: Obj, context: Obj | undefined, body: Obj | undefined, urlType: string | undefined): string | undefined {
  const direct = nonEmpty(context?.['course_id']) ?? nonEmpty(body?.['course_id']);
  if (direct !== undefined) return direct;
  for (const url of [r['page'], context?.['page'], urlType, context?.['path']]) {
    if (typeof url === 'string' && url !== '') {
      const id = courseIdFromUrl(url);
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

/** The block or object acted on: problem, module, block or thread id, link target, else the context module. */
function edxResource(context: Obj | undefined, body: Obj | undefined): string | undefined {
  if (body !== undefined) {
    const id =
      nonEmpty(body['problem_id']) ??
      nonEmpty(body['module_id']) ??
      nonEmpty(body['block_id']) ??
      nonEmpty(body['id']) ??
      nonEmpty(body['exam_content_id']) ??
      nonEmpty(body['target_url']);
    if (id !== undefined) return id;
  }
  const module = context?.['module'];
  return isObj(module) ? nonEmpty(module['usage_key']) : undefined;
}

function normaliseXapi(r: Obj): NormaliseResult {
  const verb = r['verb'] as Obj;
  const type = nonEmpty(verb['id']);
  if (type === undefined)
    return fail('EDX_MISSING_TYPE', 'cannot normalise the xAPI statement: `verb.id` is not a non-empty string', 'verb.id');
  const time = readTime(r, 'timestamp', 'stored', 'xAPI statement');
  if (typeof time !== 'string') return time;
  const object = r['object'] as Obj;
  return {
    ok: true,
    envelope: {
      id: eventId(r),
      time,
      source: XAPI_SOURCE,
      type,
      actor: xapiActor(r['actor'] as Obj),
      course: xapiCourse(r['context']),
      resource: nonEmpty(object['id']),
      payload: r,
      raw: r,
      hops: 0,
    },
  };
}

/** The agent's inverse functional identifier, in the order xAPI lists them. */
export function xapiActor(actor: Obj): string | undefined {
  const account = actor['account'];
  if (isObj(account)) {
    const name = nonEmpty(account['name']);
    if (name !== undefined) return name;
  }
  return nonEmpty(actor['mbox']) ?? nonEmpty(actor['mbox_sha1sum']) ?? nonEmpty(actor['openid']);
}

const XAPI_COURSE_TYPE = 'http://adlnet.gov/expapi/activities/course';

/** The course activity among the context activities, as a course key when its IRI contains one. */
function xapiCourse(context: unknown): string | undefined {
  if (!isObj(context) || !isObj(context['contextActivities'])) return undefined;
  const activities = context['contextActivities'];
  for (const list of [activities['parent'], activities['grouping'], activities['other']]) {
    if (!Array.isArray(list)) continue;
    for (const a of list) {
      if (!isObj(a) || !isObj(a['definition']) || a['definition']['type'] !== XAPI_COURSE_TYPE) continue;
      const iri = nonEmpty(a['id']);
      if (iri !== undefined) return courseIdFromUrl(iri) ?? iri;
    }
  }
  return undefined;
}

/** The first of two time fields that is present, normalised; else a coded error naming it. */
function readTime(r: Obj, preferred: string, fallback: string, what: string): string | NormaliseResult {
  const field = r[preferred] === undefined || r[preferred] === null ? fallback : preferred;
  const value = r[field];
  if (value === undefined || value === null) {
    return fail(
      'EDX_MISSING_TIME',
      `cannot normalise the ${what}: neither \`${preferred}\` nor \`${fallback}\` is present`,
      preferred,
    );
  }
  const time = typeof value === 'string' ? normaliseTime(value) : undefined;
  if (time === undefined) {
    return fail(
      'EDX_BAD_TIME',
      `cannot normalise the ${what}: \`${field}\` is not an ISO-8601 date-time: ${JSON.stringify(value)}`,
      field,
    );
  }
  return time;
}

function fail(code: EdxDataError['code'], message: string, field: string | undefined): NormaliseResult {
  return { ok: false, error: new EdxDataError(code, message, { field }) };
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function idString(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  return nonEmpty(v);
}

function username(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== 'anonymous' ? v : undefined;
}
