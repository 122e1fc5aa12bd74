import { rememberStoredJson } from '@insights/runtime';
import type { EventEnvelope } from '@insights/sdk';
import { checkJsonLimits, describeJsonBreach } from '@insights/wire';
import { z } from 'zod';

/**
 * An envelope as nodes publish it on `insights.events.>` (publisher.ts): every field the SDK
 * promises handlers, with its type. Anyone who can publish on the subject can put anything
 * there, so a consumer checks this before a handler (or the node's own code) reads a field.
 */
const storedEnvelopeSchema = z.object({
  id: z.string().min(1),
  time: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  actor: z.string().optional(),
  course: z.string().optional(),
  resource: z.string().optional(),
  payload: z.unknown(),
  raw: z.unknown(),
  hops: z.number().int().nonnegative().optional(),
});

/** Size and depth an event read from NATS may have (the node config's `limits`). */
export interface EventLimits {
  readonly maxEventBytes: number;
  readonly maxJsonDepth: number;
}

export type EnvelopeReading = { ok: true; event: EventEnvelope } | { ok: false; reason: string };

/**
 * Reads one stored event: size and depth first (before JSON.parse builds anything), then JSON,
 * then the envelope's shape. The reason of a refusal names the limit or the field at fault; it
 * goes into the dead-letter record. When the bytes hold no field an envelope does not have, they
 * are remembered as the event's stored JSON (runtime's stored-json.ts).
 */
export function readStoredEnvelope(bytes: Uint8Array, limits: EventLimits): EnvelopeReading {
  const breach = checkJsonLimits(bytes, { maxBytes: limits.maxEventBytes, maxDepth: limits.maxJsonDepth });
  if (breach !== undefined)
    return {
      ok: false,
      reason: describeJsonBreach('event', breach, breach.limit === 'maxBytes' ? 'limits.maxEventBytes' : 'limits.maxJsonDepth'),
    };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `event is not JSON: ${(e as Error).message}` };
  }
  const event = envelopeOf(json);
  if (event !== undefined) {
    // The same bytes parse to the same envelope again: a sandbox host can send them on as they are.
    if (keyCount(json as object) === keyCount(event)) rememberStoredJson(event, bytes);
    return { ok: true, event };
  }
  // Not an envelope: the schema says why.
  const r = storedEnvelopeSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
    return { ok: false, reason: `event is not an envelope: ${at}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, event: r.data as EventEnvelope };
}

/**
 * The schema's check, by hand (it runs once per event per handler; zod's was most of
 * readStoredEnvelope's time): the envelope with exactly the schema's fields, or undefined when
 * the schema would refuse it.
 */
function envelopeOf(v: unknown): EventEnvelope | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const { id, time, source, type, actor, course, resource, payload, raw, hops } = o;
  if (!filled(id) || !filled(time) || !filled(source) || !filled(type)) return undefined;
  if (!stringOrAbsent(actor) || !stringOrAbsent(course) || !stringOrAbsent(resource)) return undefined;
  if (payload === undefined || raw === undefined) return undefined;
  if (hops !== undefined && !(Number.isSafeInteger(hops) && (hops as number) >= 0)) return undefined;
  const e: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = { id, time, source, type, payload, raw };
  if (actor !== undefined) e.actor = actor;
  if (course !== undefined) e.course = course;
  if (resource !== undefined) e.resource = resource;
  if (hops !== undefined) e.hops = hops as number;
  return e;
}

function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

const filled = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const stringOrAbsent = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
