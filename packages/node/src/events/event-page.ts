import { createHash } from 'node:crypto';
import type { EventEnvelope } from '@insights/sdk';
import { PAGE_SLOTS } from '@insights/runtime';
import type { OutgoingMessage } from './outgoing-message.ts';
import { bucketOf, PARTITION_KEYS } from './partition-key.ts';
import { EVENT_SUBJECT_PREFIX, token } from './subjects.ts';

/**
 * An event page: many events of one source in one JetStream message. With `sync_interval: always`
 * the server fsyncs every message it stores (atomic batches too), so one message per event capped
 * ingest at a few thousand events a second; a page of 500 costs one fsync.
 *
 * Subject `insights.events.=.<source>` (`=`, like `~`, is never a token(), so the layouts never
 * meet): consumers filter pages by source on the server. Body: an index line, then one line per
 * event (its JSON, which never holds a raw newline). The index says each event's type and key
 * buckets, so a handler picks its events (types, and a partition its keys) and parses only those:
 * `{"source":"edx","types":["a","b"],"events":[[type index, actor, course, resource bucket],...]}`.
 */
export const PAGE_MARKER = '=';
/** Events per page a node writes; readers take up to PAGE_SLOTS (positions leave room for that many). */
export const MAX_PAGE_EVENTS = 500;
/** Bytes of a page a node writes: under NATS's default max_payload (1 MiB), with room for headers. */
export const MAX_PAGE_BYTES = 1024 * 1024 - 16 * 1024;
/** An index line's bytes at most (a reader refuses more; a writer ends a page before). */
export const MAX_PAGE_INDEX_BYTES = 256 * 1024;
/** Pages of at most this many events, and these bytes (the connection's max_payload may be smaller). */
export interface PageLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}
export const DEFAULT_PAGE_LIMITS: PageLimits = Object.freeze({ maxEvents: MAX_PAGE_EVENTS, maxBytes: MAX_PAGE_BYTES });

if (MAX_PAGE_EVENTS > PAGE_SLOTS) throw new Error('a page must fit its positions');

/** What the index line says of one event: its type (index into `types`) and its key buckets. */
export type PageEntry = readonly [type: number, actor: number, course: number, resource: number];

export interface PageIndex {
  readonly source: string;
  readonly types: readonly string[];
  readonly events: readonly PageEntry[];
}

/** The subject of a page of `source`'s events. */
export function pageSubject(source: string): string {
  return `${EVENT_SUBJECT_PREFIX}.${PAGE_MARKER}.${token(source)}`;
}

/** Whether a message on `subject` is a page. */
export function isPageSubject(subject: string): boolean {
  return subject.startsWith(PAGE_PREFIX);
}
const PAGE_PREFIX = `${EVENT_SUBJECT_PREFIX}.${PAGE_MARKER}.`;

/**
 * A page's de-duplication id, from its events' ids: the same events in the same page (an import
 * chunk sent again) give the same id, and the stream's duplicate window drops the copy.
 */
export function pageMsgId(events: readonly EventEnvelope[]): string {
  const h = createHash('sha256');
  for (const e of events) h.update(e.id).update('\n');
  return `page:${h.digest('base64url')}`;
}

/** The index entry of an event: type number and buckets. */
export function pageEntry(e: EventEnvelope, typeIndex: number): PageEntry {
  return [typeIndex, bucketOf(e, PARTITION_KEYS[0]!), bucketOf(e, PARTITION_KEYS[1]!), bucketOf(e, PARTITION_KEYS[2]!)];
}

/** One page of events of one source, each given with its JSON bytes. */
export function encodePage(events: readonly EventEnvelope[], encoded: readonly Uint8Array[]): OutgoingMessage {
  const source = events[0]!.source;
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const entries = events.map((e) => {
    let t = typeIndex.get(e.type);
    if (t === undefined) typeIndex.set(e.type, (t = types.push(e.type) - 1));
    return pageEntry(e, t);
  });
  const index = Buffer.from(JSON.stringify({ source, types, events: entries }));
  const parts: Uint8Array[] = [index];
  for (const b of encoded) parts.push(NEWLINE, b);
  return { subject: pageSubject(source), data: Buffer.concat(parts), msgId: pageMsgId(events), events: events.length };
}

const NEWLINE = Buffer.from('\n');
