/**
 * Events a handler emits (`ctx.emit`). The module decides only type, payload and the actor,
 * course and resource; whoever runs the handler sets the rest: the source (the module's name),
 * the id (derived from the handler and the events it handled, so re-processing dedupes) and the
 * hop count (one more than the events being handled, which cuts emit loops). For a sandboxed
 * module the host does this, from the events it sent, never from what the sandbox says.
 */
import { InsightsError, type EventEnvelope } from '@insights/sdk';
import { stableEventId } from './event-id.ts';

/** What a module may decide about an event it emits. */
export interface EmitFields {
  readonly type: string;
  readonly payload: unknown;
  readonly actor?: string | undefined;
  readonly course?: string | undefined;
  readonly resource?: string | undefined;
}

/** Largest payload of an emitted event, as JSON. */
export const MAX_EMIT_PAYLOAD_BYTES = 256 * 1024;
const MAX_FIELD_CHARS = 512;
/** Dot-separated tokens: emitted types become NATS subject tokens. */
const EVENT_TYPE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const FIELDS: ReadonlySet<string> = new Set(['type', 'payload', 'actor', 'course', 'resource']);

function invalid(parameter: string, message: string): InsightsError {
  return new InsightsError('INVALID_ARGUMENT', `ctx.emit: ${message}`, { parameter });
}

/**
 * Checks what a module asked to emit and keeps only the fields it may set. `strict` (a message
 * from a sandbox) refuses any other field, such as `source`, `id` or `hops`.
 */
export function checkEmitFields(e: unknown, strict: boolean): EmitFields {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw invalid('event', 'the event must be an object');
  const o = e as Record<string, unknown>;
  if (strict)
    for (const k of Object.keys(o))
      if (!FIELDS.has(k)) throw invalid(k, `a module may not set "${k}": the node sets source, id, time and hops`);
  if (typeof o.type !== 'string' || o.type.length > 200 || !EVENT_TYPE.test(o.type))
    throw invalid('type', 'type must be dot-separated tokens of letters, digits, "_" or "-", at most 200 characters');
  for (const k of ['actor', 'course', 'resource'] as const)
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k].length > MAX_FIELD_CHARS))
      throw invalid(k, `${k} must be a string of at most ${MAX_FIELD_CHARS} characters`);
  let json: string | undefined;
  try {
    json = JSON.stringify(o.payload ?? null);
  } catch (err) {
    throw invalid('payload', `the payload is not JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw invalid('payload', 'the payload is not JSON');
  if (json.length > MAX_EMIT_PAYLOAD_BYTES)
    throw invalid('payload', `the payload is over ${MAX_EMIT_PAYLOAD_BYTES} bytes as JSON (MAX_EMIT_PAYLOAD_BYTES)`);
  return {
    type: o.type,
    payload: o.payload ?? null,
    ...(o.actor === undefined ? {} : { actor: o.actor as string }),
    ...(o.course === undefined ? {} : { course: o.course as string }),
    ...(o.resource === undefined ? {} : { resource: o.resource as string }),
  };
}

/** The envelope of an emitted event: the module's fields, everything else set here. */
export function deriveEvent(
  module: string,
  handler: string,
  parentIds: readonly string[],
  parentHops: number,
  e: EmitFields,
): EventEnvelope {
  return {
    // Deterministic: re-processing the same events re-emits the same ids, which dedupe.
    id: stableEventId({ from: `${module}.${handler}`, after: parentIds, type: e.type, payload: e.payload }),
    time: new Date().toISOString(),
    source: module,
    type: e.type,
    actor: e.actor,
    course: e.course,
    resource: e.resource,
    payload: e.payload,
    raw: e.payload,
    hops: parentHops + 1,
  };
}

/** The highest hop count among events (0 for platform events). */
export function maxHops(events: readonly EventEnvelope[]): number {
  let h = 0;
  for (const e of events) if (typeof e.hops === 'number' && e.hops > h) h = e.hops;
  return h;
}
