/**
 * Reading the edX fields the standard analytics need that the envelope does not carry on its own
 * (`event_source`, the legacy `event_type`, `context.user_id`). The edX analytics pipeline defined
 * its metrics on these raw fields, so the modules read them from `envelope.raw` the same way.
 */
import type { EventEnvelope } from '@insights/sdk';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The raw event as an object (empty when it is not one). */
export function rawOf(e: EventEnvelope): Obj {
  return isObj(e.raw) ? e.raw : {};
}

/** The decoded event body when it is an object (server events), else undefined (browser form bodies). */
export function bodyOf(e: EventEnvelope): Obj | undefined {
  return isObj(e.payload) ? e.payload : undefined;
}

/**
 * The legacy `event_type` (`play_video`, `problem_check`, `edx.forum.thread.created`), else the
 * envelope type. The envelope prefers the newer `name`; the pipeline's definitions use `event_type`.
 */
export function legacyType(e: EventEnvelope): string {
  const t = rawOf(e)['event_type'];
  return typeof t === 'string' && t !== '' ? t : e.type;
}

/** `event_source`: `server`, `browser`, `mobile` or `task`; undefined when absent. */
export function eventSource(e: EventEnvelope): string | undefined {
  const s = rawOf(e)['event_source'];
  return typeof s === 'string' ? s : undefined;
}

/**
 * `context.user_id` as a string; undefined when missing, null, 0 or "" (the pipeline's
 * `if not user_id`). Old server events name the learner only in the body: they do not count.
 */
export function contextUserId(e: EventEnvelope): string | undefined {
  const context = rawOf(e)['context'];
  const id = isObj(context) ? context['user_id'] : undefined;
  if (typeof id === 'number') return Number.isFinite(id) && id !== 0 ? String(id) : undefined;
  return typeof id === 'string' && id.trim() !== '' ? id.trim() : undefined;
}

/** A finite number from a number or numeric text (edX sends both), else undefined. */
export function toNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The enrollment events, which none of the activity analytics count as activity. */
export function isEnrollmentEvent(e: EventEnvelope): boolean {
  return legacyType(e).startsWith('edx.course.enrollment.');
}
