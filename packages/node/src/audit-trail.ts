import { createHash, randomBytes } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import type { CallRecord, CallRecorder, Logger } from '@insights/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { AUDIT_SUBJECT_PREFIX, type AuditRecord } from '@insights/registry';
import type { NodeConfig } from './config.ts';
import { JetStreamPublisher } from './events/jetstream-publisher.ts';
import type { NatsLink } from './nats-link.ts';
import { parseTraceparent } from './tracing.ts';

const NS = 1_000_000_000;
const ENCODER = new TextEncoder();
/** Records kept while NATS is away; beyond this the oldest are dropped (and counted in a warning). */
const MAX_PENDING = 10_000;

/**
 * The audit trail: every call that reaches this node and every nested call it causes, published
 * to the JetStream stream `audit.stream` (retention `audit.maxAgeSeconds`). Modules cannot write
 * to it: sandboxes have no NATS connection, and the stream's subjects are the node user's alone
 * (deploy/nats/accounts.conf). Without NATS the records go to the log at info level.
 */
export class AuditTrail implements CallRecorder {
  readonly #traces = new Map<string, string | undefined>();
  #pending: AuditRecord[] = [];
  #dropped = 0;
  #publisher: JetStreamPublisher | undefined;
  #flushing = false;

  constructor(
    private readonly config: NodeConfig,
    link: NatsLink,
    private readonly log: Logger,
  ) {
    if (!link.configured) return;
    void link.connected.then(
      async (nc) => {
        await ensureAuditStream(nc, config);
        // Many records in flight, acknowledgements on one subscription (a request per record cost too much CPU).
        this.#publisher = new JetStreamPublisher(nc);
        this.#flush();
      },
      (e: unknown) => log.warn('audit stream unavailable; records wait in memory', { error: (e as Error).message }),
    );
  }

  // begin and end never throw: an audit fault is logged, and the call it records goes on.
  /**
   * Every call has a trace id, with or without OpenTelemetry: the active span's; for a nested call
   * from a sandbox (outside the caller's span), its parent's; for a call forwarded by another
   * node, the one its traceparent carries; else a new one. So a call tree's records share one
   * trace id across nodes (`insights audit --trace`).
   */
  begin(id: string, parentId: string | undefined, traceparent?: string): void {
    const active = trace.getSpanContext(context.active())?.traceId;
    this.#traces.set(
      id,
      active ??
        (parentId === undefined ? undefined : this.#traces.get(parentId)) ??
        parseTraceparent(traceparent)?.traceId ??
        randomBytes(16).toString('hex'),
    );
  }

  /** A W3C traceparent in the trace of call `id`, its span id derived from the call's audit id. */
  traceparentOf(id: string): string | undefined {
    const traceId = this.#traces.get(id);
    if (traceId === undefined) return undefined;
    return `00-${traceId}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}-00`;
  }

  end(r: CallRecord): void {
    try {
      this.#end(r);
    } catch (e) {
      this.log.error('audit record failed', { analytic: r.analytic, error: (e as Error).message });
    }
  }

  #end(r: CallRecord): void {
    const traceId = this.#traces.get(r.id);
    this.#traces.delete(r.id);
    if (!this.config.audit.enabled) return;
    const record: AuditRecord = {
      v: 1,
      time: new Date(r.startedAt).toISOString(),
      node: this.config.id,
      id: r.id,
      ...(r.parentId === undefined ? {} : { parent: r.parentId }),
      ...(traceId === undefined ? {} : { trace: traceId }),
      kind: r.kind,
      analytic: r.analytic,
      ...(r.who === undefined ? {} : { who: r.who }),
      args: r.args,
      outcome: r.outcome,
      resultBytes: r.resultBytes,
      durationMs: r.durationMs,
    };
    if (!this.#pendingOrLog(record)) return;
    this.#flush();
  }

  /** Queues a record for NATS; without NATS configured, logs it instead (false). */
  #pendingOrLog(record: AuditRecord): boolean {
    if (this.config.nats === undefined) {
      this.log.info('audit', { audit: record });
      return false;
    }
    if (this.#pending.length >= MAX_PENDING) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#pending.push(record);
    return true;
  }

  #flush(): void {
    const publisher = this.#publisher;
    if (publisher === undefined || this.#flushing) return;
    this.#flushing = true;
    const batch = this.#pending;
    this.#pending = [];
    if (this.#dropped > 0) {
      this.log.warn('audit records dropped while NATS was away', { dropped: this.#dropped });
      this.#dropped = 0;
    }
    const subject = `${AUDIT_SUBJECT_PREFIX}.${this.config.id}`;
    let failed = false;
    void Promise.all(
      // The record id is the message id: a retried record is stored once.
      batch.map((r) =>
        publisher.publish(subject, ENCODER.encode(JSON.stringify(r)), r.id).catch((e: unknown) => {
          if (!failed) this.log.warn('audit records not stored; retrying in a second', { error: (e as Error).message });
          failed = true;
          this.#pending.push(r);
        }),
      ),
    ).finally(() => {
      this.#flushing = false;
      // Records that came meanwhile go at once; after a failure, wait a second.
      if (this.#pending.length > 0) setTimeout(() => this.#flush(), failed ? 1000 : 0).unref();
    });
  }

  close(): void {
    this.#publisher?.close();
  }
}

/** What an audit id looks like (newAuditId: 9 random bytes, base64url), with room to spare. */
const AUDIT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The parent a forwarded nested call names (`parentCall`), believed only from a certified mesh
 * node (every token delegated by it): a plain client could forge links into anyone's call tree,
 * so its claim is dropped (its record still joins the trace its traceparent names).
 */
export function forwardedParent(
  claimed: string | undefined,
  authority: { readonly forwardedBy?: string | undefined } | undefined,
): string | undefined {
  if (!claimed || authority?.forwardedBy === undefined || !AUDIT_ID.test(claimed)) return undefined;
  return claimed;
}

/** Creates the audit stream or brings its retention up to date (every node, at start). */
export async function ensureAuditStream(nc: NatsConnection, config: NodeConfig): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = {
    name: config.audit.stream,
    subjects: [`${AUDIT_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: config.audit.maxAgeSeconds * NS,
    num_replicas: config.events.replicas ?? 1,
  };
  try {
    await jsm.streams.add(stream);
  } catch (e) {
    if (!/already in use|exists/i.test((e as Error).message)) throw e;
    const current = await jsm.streams.info(stream.name);
    await jsm.streams.update(stream.name, { ...current.config, max_age: stream.max_age });
  }
}
