import type { EventEnvelope } from '@insights/sdk';
import { anyTypeMatches, MAX_EVENT_HOPS, type HandlerRef } from '@insights/runtime';
import { refusedBytes } from './delivery.ts';
import type { PageEntry } from './event-page.ts';
import type { PageView } from './page-reading.ts';

/** Which of a page's events a reader takes. */
export interface PagePick {
  /** The handler's sources and type patterns (the server filtered pages by source token only). */
  readonly handler: HandlerRef;
  /** A partition: whether an event is its own by the index alone; undefined when that takes the event itself. */
  readonly ownsEntry?: (entry: PageEntry) => boolean | undefined;
  /** A partition that cannot tell by the index: whether a parsed event is its own (refused ones: `ownsRefused`). */
  readonly ownsEvent?: (e: EventEnvelope) => boolean;
  readonly ownsRefused?: boolean;
}

/** An event of a page that is no valid event: dead-lettered alone, with what is shown of its bytes. */
export interface RefusedInPage {
  readonly index: number;
  readonly reason: string;
  readonly shown: { event: string; bytes?: number };
}

/** An event of a page, with its index there (its position: eventPosition(seq, index)). */
export interface PagedEvent {
  readonly event: EventEnvelope;
  readonly index: number;
}

/**
 * A page's events for this reader: those of its types (and, for a partition, its keys), each
 * parsed and checked alone. `refused`: its events that are no valid event (dead-lettered one by
 * one, the rest are handled). `invalid`: the page as a whole is not one (dead-lettered whole).
 */
export function readPageFor(
  view: PageView,
  pick: PagePick,
): { type: 'page'; events: PagedEvent[]; refused: RefusedInPage[] } | { type: 'invalid'; error: string } {
  const r = view.reading;
  if (!r.ok) return { type: 'invalid', error: r.reason };
  const { index } = r.page;
  const events: PagedEvent[] = [];
  const refused: RefusedInPage[] = [];
  const { sources, types } = pick.handler;
  if (sources.length > 0 && !sources.includes(index.source)) return { type: 'page', events, refused };
  const typeTaken = index.types.map((t) => anyTypeMatches(types, t));
  for (let i = 0; i < index.events.length; i++) {
    const entry = index.events[i]!;
    if (!typeTaken[entry[0]]) continue;
    // true: its own by the index; undefined: the event itself tells (ownsEvent).
    const owns = pick.ownsEntry === undefined ? true : pick.ownsEntry(entry);
    if (owns === false) continue;
    const e = view.event(i);
    if (!e.ok) {
      if (owns === true || pick.ownsRefused === true)
        refused.push({ index: i, reason: e.reason, shown: refusedBytes(r.page.data.subarray(r.page.starts[i], r.page.ends[i])) });
      continue;
    }
    if (owns === undefined && pick.ownsEvent?.(e.event) === false) continue;
    if ((e.event.hops ?? 0) > MAX_EVENT_HOPS) continue;
    events.push({ event: e.event, index: i });
  }
  return { type: 'page', events, refused };
}
