/**
 * Events with distinct ids, first occurrence kept. Ingest drops events whose id it has seen, so
 * a recompute from replay must count each id once too: the shared real logs repeat 201 events
 * across files, exactly as a broker redelivers them.
 */
import type { EventEnvelope } from '@insights/sdk';

export function uniqueById(events: Iterable<EventEnvelope>): EventEnvelope[] {
  const seen = new Set<string>();
  const out: EventEnvelope[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}
