import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** Audit records are published on `insights.audit.<node>`; only the node NATS user may publish there. */
export const AUDIT_SUBJECT_PREFIX = 'insights.audit';
export const DEFAULT_AUDIT_STREAM = 'INSIGHTS_AUDIT';

/** One audit record as stored: who called what, with which arguments after locks, and how it ended. Never the result. */
export interface AuditRecord {
  readonly v: 1;
  readonly time: string;
  readonly node: string;
  readonly id: string;
  readonly parent?: string | undefined;
  /** The trace id (OpenTelemetry's when tracing is on, else the node's own): one per call tree, across nodes. */
  readonly trace?: string | undefined;
  readonly kind: string;
  readonly analytic: string;
  /** Capability subjects and ids (`prof#<jti> via node#<jti>` for a call forwarded by another node). */
  readonly who?: string | undefined;
  readonly args: unknown;
  readonly outcome: string;
  readonly resultBytes: number;
  readonly durationMs: number;
}

/** What `insights audit` and the dashboard's audit page ask for; every given part must match. */
export interface AuditFilter {
  /** A capability subject (a dashboard user, a script's name) or capability id. */
  readonly user?: string | undefined;
  /** An id appearing anywhere in the arguments. */
  readonly learner?: string | undefined;
  readonly analytic?: RegExp | undefined;
  /** One call tree: the trace id its records share (also across nodes). */
  readonly trace?: string | undefined;
  /** Epoch ms. */
  readonly since?: number | undefined;
  readonly until?: number | undefined;
}

export function auditMatches(r: AuditRecord, f: AuditFilter): boolean {
  const t = Date.parse(r.time);
  return (
    (f.user === undefined || whoMatches(r.who, f.user)) &&
    (f.learner === undefined || mentions(r.args, f.learner)) &&
    (f.analytic === undefined || f.analytic.test(r.analytic)) &&
    (f.trace === undefined || r.trace === f.trace) &&
    (f.since === undefined || t >= f.since) &&
    (f.until === undefined || t <= f.until)
  );
}

/**
 * Reads the audit stream (one-record and batched messages alike), newest last, keeping the records that match (at most `limit`, the
 * newest). Undefined when the stream does not exist (no node with NATS and the audit on yet).
 */
export async function readAuditRecords(
  nc: NatsConnection,
  filter: AuditFilter,
  o: { stream?: string; limit?: number } = {},
): Promise<AuditRecord[] | undefined> {
  const stream = o.stream ?? DEFAULT_AUDIT_STREAM;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream).catch(() => undefined);
  if (info === undefined) return undefined;
  const found: AuditRecord[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null); // null: removed by retention meanwhile
    if (m === null) continue;
    for (const r of auditRecordsOf(m.json<AuditRecord | AuditRecord[]>())) if (auditMatches(r, filter)) found.push(r);
  }
  return o.limit === undefined ? found : found.slice(-o.limit);
}

/**
 * The records of one stream message: nodes publish a batch (a JSON array, many records per
 * fsync); nodes before batching published one record (an object) per message.
 */
export function auditRecordsOf(message: AuditRecord | readonly AuditRecord[]): readonly AuditRecord[] {
  return Array.isArray(message) ? (message as readonly AuditRecord[]) : [message as AuditRecord];
}

/** `who` is `<subject>#<id>[ via ...]`: a user matches by subject or by capability id. */
function whoMatches(who: string | undefined, user: string): boolean {
  return (who ?? '').split(/ via | within /).some((part) => {
    const [subject, id] = part.split('#');
    return subject === user || id === user;
  });
}

/** Whether a value appears anywhere in the arguments (learner ids are strings or numbers). */
function mentions(v: unknown, learner: string): boolean {
  if (typeof v === 'string' || typeof v === 'number') return String(v) === learner;
  if (Array.isArray(v)) return v.some((x) => mentions(x, learner));
  if (typeof v === 'object' && v !== null) return Object.values(v).some((x) => mentions(x, learner));
  return false;
}
