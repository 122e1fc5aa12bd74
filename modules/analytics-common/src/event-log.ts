/**
 * Per-key event logs: a document per natural key (a learner and a video, say) holding the key's
 * events and what is derived from them. Analytics whose answer depends on the order of a
 * learner's events (viewings pair a play with the pause after it) cannot be updated by counters;
 * recomputing the key's derived value from all its events, in time order, whatever order they
 * arrived in, is what makes the realtime answer equal a replay. Events are kept by id, so a
 * redelivered event changes nothing.
 */
import type { Collection, Document } from '@insights/sdk';
import { updateKeyed, updateKeyedMany } from './keyed-doc.ts';

export interface EventLogDoc<E extends { readonly id: string }, D> {
  readonly events: readonly E[];
  readonly derived: D;
}

/**
 * Adds `events` to the log `id` (creating it with `fields`), skipping ids it already holds, and
 * stores `derive(all events)`. Returns whether anything changed.
 */
export function appendToEventLog<E extends { readonly id: string }, D>(
  collection: Collection,
  id: string,
  fields: Document,
  events: readonly E[],
  derive: (all: readonly E[]) => D,
): Promise<boolean> {
  return updateKeyed(collection, id, eventLogUpdate(fields, events, derive));
}

/** One log's share of a batch: its id, the fields it is created with, its new events. */
export interface EventLogAppend<E> {
  readonly id: string;
  readonly fields: Document;
  readonly events: readonly E[];
}

/** `appendToEventLog` for every log a batch touches at once (two database crossings in all, see updateKeyedMany). */
export function appendToEventLogs<E extends { readonly id: string }, D>(
  collection: Collection,
  logs: Iterable<EventLogAppend<E>>,
  derive: (all: readonly E[]) => D,
): Promise<number> {
  const updates = [...logs].map((l) => [l.id, eventLogUpdate(l.fields, l.events, derive)] as const);
  return updateKeyedMany<Document & EventLogDoc<E, D>>(collection, updates);
}

function eventLogUpdate<E extends { readonly id: string }, D>(
  fields: Document,
  events: readonly E[],
  derive: (all: readonly E[]) => D,
): (current: (Document & EventLogDoc<E, D>) | null) => (Document & EventLogDoc<E, D>) | null {
  return (current) => {
    const known = new Set((current?.events ?? []).map((e) => e.id));
    const fresh: E[] = [];
    for (const e of events)
      if (!known.has(e.id)) {
        known.add(e.id);
        fresh.push(e);
      }
    if (fresh.length === 0) return null;
    const all = [...(current?.events ?? []), ...fresh];
    return { ...fields, events: all, derived: derive(all) };
  };
}
