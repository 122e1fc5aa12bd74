import type { EventEnvelope } from '@insights/sdk';

/** Every event lives under this prefix: `insights.events.<source>.<type tokens...>`. */
export const EVENT_SUBJECT_PREFIX = 'insights.events';
export const DLQ_SUBJECT_PREFIX = 'insights.dlq';
/** Plain NATS publishes of raw events to this subject are ingested by some node (queue group). */
export const INGEST_SUBJECT = 'insights.ingest';
/** Header that sends a re-driven event to one handler only. */
export const ONLY_HANDLER_HEADER = 'Insights-Only-Handler';

/** A subject token: letters, digits, `_` and `-` (anything else, including wildcards, becomes `_`). */
export function token(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t;
}

export function subjectFor(e: EventEnvelope): string {
  return `${EVENT_SUBJECT_PREFIX}.${token(e.source)}.${e.type.split('.').map(token).join('.')}`;
}

/**
 * The server-side filter of a handler's consumer. NATS 2.9 allows one filter subject per
 * consumer, so a handler with one type pattern and at most one source is filtered by the
 * server; anything broader gets every event and is filtered in the module (same result).
 */
export function filterSubjectFor(types: readonly string[], sources: readonly string[]): string {
  const src = sources.length === 1 ? token(sources[0] as string) : '*';
  if (types.length !== 1) return sources.length === 1 ? `${EVENT_SUBJECT_PREFIX}.${src}.>` : `${EVENT_SUBJECT_PREFIX}.>`;
  const pattern = (types[0] as string)
    .split('.')
    .map((t) => (t === '*' || t === '>' ? t : token(t)))
    .join('.');
  return `${EVENT_SUBJECT_PREFIX}.${src}.${pattern}`;
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
