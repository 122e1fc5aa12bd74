import type { EventEnvelope } from '@insights/sdk';
import { PAGE_SLOTS } from '@insights/runtime';
import { checkJsonLimits } from '@insights/wire';
import { MAX_PAGE_INDEX_BYTES, type PageEntry, type PageIndex } from './event-page.ts';
import { bucketOf, PARTITION_KEYS, SUBJECT_BUCKETS } from './partition-key.ts';
import { readStoredEnvelope, type EnvelopeReading, type EventLimits } from './stored-envelope.ts';

/** A page as read from the stream: its index checked, its events still bytes (parsed on demand). */
export interface ReadPage {
  readonly index: PageIndex;
  /** Where each event's line starts and ends in the message. */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly data: Uint8Array;
}

export type PageReading = { ok: true; page: ReadPage } | { ok: false; reason: string };

/**
 * Reads a page's index and finds its event lines, refusing the page as a whole when it is not
 * one a node could have written: no index, an index that is not JSON or not the shape, more
 * events than PAGE_SLOTS, or an event count other than the lines it holds. Each event is read on
 * its own later (pageEvent), with the per-event limits.
 */
export function readPage(data: Uint8Array): PageReading {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const first = bytes.indexOf(10);
  const indexEnd = first < 0 ? bytes.length : first;
  const head = bytes.subarray(0, indexEnd);
  // An index is its types and one small entry per event: bounded before JSON.parse, three levels deep.
  const breach = checkJsonLimits(head, { maxBytes: MAX_PAGE_INDEX_BYTES, maxDepth: 3 });
  if (breach !== undefined)
    return refused(
      breach.limit === 'maxBytes' ? `its index is over ${MAX_PAGE_INDEX_BYTES} bytes` : 'its index is deeper than 3',
    );
  let json: unknown;
  try {
    json = JSON.parse(head.toString('utf8'));
  } catch (e) {
    return refused(`its index is not JSON: ${(e as Error).message}`);
  }
  const index = asIndex(json);
  if (typeof index === 'string') return refused(index);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let at = indexEnd; at < bytes.length;) {
    const start = at + 1;
    if (starts.length >= index.events.length) return refused(`it holds more event lines than its index's ${index.events.length}`);
    const nl = bytes.indexOf(10, start);
    at = nl < 0 ? bytes.length : nl;
    starts.push(start);
    ends.push(at);
  }
  if (starts.length !== index.events.length)
    return refused(`its index names ${index.events.length} events but it holds ${starts.length}`);
  return { ok: true, page: { index, starts, ends, data: bytes } };
}

/** A page read once, its events read on demand, each at most once (a node's handlers share it: page-cache.ts). */
export interface PageView {
  readonly reading: PageReading;
  event(i: number): EnvelopeReading;
}

/** Reads a page (readPage) and each of its events when first asked for (pageEvent). */
export function viewPage(data: Uint8Array, limits: EventLimits): PageView {
  const reading = readPage(data);
  const events: EnvelopeReading[] = [];
  return {
    reading,
    event(i) {
      if (!reading.ok) throw new Error('no events in a refused page');
      return (events[i] ??= pageEvent(reading.page, i, limits));
    },
  };
}

/**
 * Reads event `i` of a page: the per-event limits and envelope shape (readStoredEnvelope), then
 * what the index said of it (source, type, buckets), since handlers picked it by those.
 */
export function pageEvent(page: ReadPage, i: number, limits: EventLimits): EnvelopeReading {
  const r = readStoredEnvelope(page.data.subarray(page.starts[i], page.ends[i]), limits);
  if (!r.ok) return r;
  const wrong = disagreement(page.index, page.index.events[i]!, r.event);
  return wrong === undefined ? r : { ok: false, reason: `event ${i} of a page: ${wrong}` };
}

function disagreement(index: PageIndex, entry: PageEntry, e: EventEnvelope): string | undefined {
  if (e.source !== index.source) return `its source ${e.source} is not the page's ${index.source}`;
  if (e.type !== index.types[entry[0]]) return `its type ${e.type} is not ${index.types[entry[0]]} as the index says`;
  for (let k = 0; k < PARTITION_KEYS.length; k++) {
    const key = PARTITION_KEYS[k]!;
    if (bucketOf(e, key) !== entry[k + 1]) return `its ${key} bucket is ${bucketOf(e, key)}, the index says ${entry[k + 1]}`;
  }
  return undefined;
}

/** The index, or why it is not one. */
function asIndex(v: unknown): PageIndex | string {
  if (typeof v !== 'object' || v === null) return 'its index is not an object';
  const { source, types, events } = v as Record<string, unknown>;
  if (typeof source !== 'string' || source === '') return 'its index has no source';
  if (!Array.isArray(types) || types.some((t) => typeof t !== 'string' || t === ''))
    return 'its index types are not a list of names';
  if (!Array.isArray(events) || events.length < 1) return 'its index lists no events';
  if (events.length > PAGE_SLOTS) return `its index lists ${events.length} events, over the ${PAGE_SLOTS} a page may hold`;
  for (const e of events as unknown[])
    if (
      !Array.isArray(e) ||
      e.length !== 4 ||
      !isIndexIn(e[0], types.length) ||
      !isIndexIn(e[1], SUBJECT_BUCKETS) ||
      !isIndexIn(e[2], SUBJECT_BUCKETS) ||
      !isIndexIn(e[3], SUBJECT_BUCKETS)
    )
      return `its index entry ${JSON.stringify(e).slice(0, 60)} is not [type, actor, course, resource bucket]`;
  return { source, types: types as string[], events: events as PageEntry[] };
}

const isIndexIn = (v: unknown, n: number) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < n;

const refused = (why: string): PageReading => ({ ok: false, reason: `page refused: ${why}` });
