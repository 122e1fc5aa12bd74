import type { EventEnvelope } from '@insights/sdk';
import { z } from 'zod';
import { stableEventId } from './event-id.ts';

/** An event that already is an envelope (e.g. re-ingested, or emitted by a handler). */
const envelopeSchema = z.object({
  id: z.string().min(1).optional(),
  time: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  actor: z.string().optional(),
  course: z.string().optional(),
  resource: z.string().optional(),
  payload: z.unknown(),
  raw: z.unknown().optional(),
  hops: z.number().int().nonnegative().optional(),
});

export function asEnvelope(raw: unknown): EventEnvelope | undefined {
  const r = envelopeSchema.safeParse(raw);
  if (!r.success) return undefined;
  const time = new Date(r.data.time);
  if (Number.isNaN(time.getTime())) return undefined;
  return {
    ...r.data,
    id: r.data.id ?? stableEventId(raw),
    time: time.toISOString(),
    raw: r.data.raw ?? raw,
    payload: r.data.payload ?? null,
  };
}
