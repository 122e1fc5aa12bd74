import type { EventEnvelope } from '@insights/sdk';
import { bucketOf, PARTITION_KEYS, SUBJECT_BUCKETS, type PartitionKey } from './partition-key.ts';

/**
 * Every event lives under this prefix, in one of three layouts:
 * - raw: `insights.events.<source>.<type tokens...>`, what other publishers (an operator's
 *   re-drive, a node of an older version, anyone holding a node credential) send;
 * - keyed: `insights.events.~.<actor bucket>.<course bucket>.<resource bucket>.<source>.<type tokens...>`,
 *   what nodes publish (subjectFor): the buckets let each partition of a partitioned handler be
 *   filtered by the server to its own events;
 * - pages: `insights.events.=.<source>`, many events of one source in one message, what nodes
 *   publish for a batch ingest (event-page.ts).
 * `~` and `=` can never be a source (token() never yields them), so the layouts never meet.
 */
export const EVENT_SUBJECT_PREFIX = 'insights.events';
/** The token after the prefix that marks the keyed layout. */
export const KEYED_MARKER = '~';
export const DLQ_SUBJECT_PREFIX = 'insights.dlq';
/** Plain NATS publishes of raw events to this subject are ingested by some node (queue group). */
export const INGEST_SUBJECT = 'insights.ingest';
/** Header that sends a re-driven event to one handler only. */
export const ONLY_HANDLER_HEADER = 'Insights-Only-Handler';
/**
 * Header that sends a re-published event to one durable consumer only: an event that failed
 * inside a page goes back alone to the consumer that failed it (each replica keeps its own
 * consumer with the embedded database, and the others handled it).
 */
export const ONLY_CONSUMER_HEADER = 'Insights-Only-Consumer';

/** A subject token: letters, digits, `_` and `-` (anything else, including wildcards, becomes `_`). */
export function token(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t;
}

/** The subject a node publishes an event on (keyed layout). */
export function subjectFor(e: EventEnvelope): string {
  const buckets = PARTITION_KEYS.map((k) => bucketOf(e, k)).join('.');
  return `${EVENT_SUBJECT_PREFIX}.${KEYED_MARKER}.${buckets}.${token(e.source)}.${e.type.split('.').map(token).join('.')}`;
}

/** The bucket of `key` a keyed subject carries; undefined for a raw subject (or a keyed one that is malformed). */
export function subjectBucket(subject: string, key: PartitionKey): number | undefined {
  const tokens = subject.split('.', 6);
  if (tokens[2] !== KEYED_MARKER) return undefined;
  const t = tokens[3 + PARTITION_KEYS.indexOf(key)] ?? '';
  const b = /^\d{1,3}$/.test(t) ? Number(t) : -1;
  return b >= 0 && b < SUBJECT_BUCKETS ? b : undefined;
}

/**
 * Durable consumer name of a handler. With a shared database (MongoDB) every replica of the
 * module binds the same durable and they split the work; with the embedded database each
 * replica keeps its own state, so each gets its own durable (`__<node>`) and sees every event.
 */
export function durableName(module: string, handler: string, nodeId?: string): string {
  return `h_${token(module)}_${token(handler)}${nodeId === undefined ? '' : `__${token(nodeId)}`}`;
}

/**
 * Durable consumer of one partition of a partitioned handler. Every replica of the module binds
 * the same durables (whoever holds a partition's lease reads it), so there is no node suffix.
 */
export function partitionDurableName(module: string, handler: string, partition: number): string {
  return `h_${token(module)}_${token(handler)}_p${partition}`;
}

/** Whose a handler consumer is: one node's own (embedded db), one partition's, or every replica's. */
export type ConsumerOwner = { node: string } | { partition: number; partitions: number } | undefined;

/** A handler consumer's description: hard-realtime waits read it back (parseConsumerDescription). */
export function consumerDescription(label: string, owner: ConsumerOwner): string {
  if (owner === undefined) return `insights handler ${label}`;
  return 'node' in owner
    ? `insights handler ${label} (node ${owner.node})`
    : `insights handler ${label} partition ${owner.partition}/${owner.partitions}`;
}

const DESCRIPTION = /^insights handler (\S+)(?: \(node (.+)\)| partition \d+\/\d+)?$/;

/** The handler (`module.handler`) and, for a node's own consumer, the node; undefined if not ours. */
export function parseConsumerDescription(description: string): { label: string; node?: string } | undefined {
  const m = DESCRIPTION.exec(description);
  if (m === null) return undefined;
  return m[2] === undefined ? { label: m[1]! } : { label: m[1]!, node: m[2] };
}
