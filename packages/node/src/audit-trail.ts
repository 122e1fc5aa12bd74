import { createHash } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { LOG_LEVELS, randomString, type CallRecord, type CallRecorder, type Logger } from '@insights/runtime';
import { AUDIT_SUBJECT_PREFIX } from '@insights/registry';
import type { NatsConnection } from '@nats-io/transport-node';
import { AuditBacklog, type AuditCounts } from './audit-backlog.ts';
import { auditRecord, encodeAuditRecord } from './audit-record.ts';
import { AuditShipper } from './audit-shipper.ts';
import { ensureAuditStream } from './audit-stream.ts';
import type { NodeConfig } from './config.ts';
import { JetStreamPublisher } from './events/jetstream-publisher.ts';
import type { NatsLink } from './nats-link.ts';
import { parseTraceparent } from './tracing.ts';

/** How often a closing node looks whether JetStream has stored the last records. */
const CLOSE_POLL_MS = 20;
/** First and longest pause between attempts to create the audit stream. */
const ENSURE_RETRY_MS = 1000;
const MAX_ENSURE_RETRY_MS = 30_000;

/**
 * The audit trail: every call that reaches this node and every nested call it causes, published
 * to the JetStream stream `audit.stream` (retention `audit.maxAgeSeconds`), many records to a
 * message. Modules cannot write to it: sandboxes have no NATS connection, and the stream's
 * subjects are the node user's alone (deploy/nats/accounts.conf). Records wait in a backlog
 * bounded by `audit.maxBacklogBytes`; when it is full, calls are refused (`audit.whenUnrecorded:
 * refuse`, the default) or served and their records dropped, counted (`allow`). Without NATS the
 * records go to the log at info level.
 */
export class AuditTrail implements CallRecorder {
  readonly #traces = new Map<string, string | undefined>();
  readonly #backlog: AuditBacklog;
  #shipper: AuditShipper | undefined;
  #publisher: JetStreamPublisher | undefined;
  #pumpScheduled = false;
  #closed = false;

  constructor(
    private readonly config: NodeConfig,
    private readonly link: NatsLink,
    private readonly log: Logger,
  ) {
    this.#backlog = new AuditBacklog(config.audit.maxBacklogBytes, config.audit.whenUnrecorded, log);
    if (!link.configured) return;
    void link.connected.then(
      (nc) => this.#start(nc),
      (e: unknown) => log.warn('audit stream unavailable; records wait in memory', { error: (e as Error).message }),
    );
  }

  /**
   * Ensures the stream, retrying until it succeeds (JetStream may still be electing a leader):
   * a node that gave up would fill its backlog and, failing closed, refuse every call.
   */
  async #start(nc: NatsConnection): Promise<void> {
    for (let delay = ENSURE_RETRY_MS; ; delay = Math.min(2 * delay, MAX_ENSURE_RETRY_MS)) {
      try {
        await ensureAuditStream(nc, this.config, this.log);
        break;
      } catch (e) {
        if (this.#closed) return;
        this.log.warn('audit stream not ready; records wait in memory', { error: (e as Error).message, retryInMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (this.#closed) return;
      }
    }
    // Messages in flight, acknowledgements on one subscription (a request per message cost too much CPU).
    this.#publisher = new JetStreamPublisher(nc);
    this.#shipper = new AuditShipper(this.#publisher, `${AUDIT_SUBJECT_PREFIX}.${this.config.id}`, this.#backlog, this.log);
    this.#shipper.pump();
  }

  /** Why a call cannot run now: the backlog is full and the operator wants unrecorded calls refused. */
  refusal(): Error | undefined {
    if (!this.config.audit.enabled || this.config.nats === undefined) return undefined;
    return this.#backlog.refusal();
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
        randomString(16, 'hex'),
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
    if (this.config.nats === undefined) {
      // Without NATS the trail is the log: no record is built for a level that drops it.
      if (LOG_LEVELS[this.log.level] <= LOG_LEVELS.info)
        this.log.info('audit', { audit: auditRecord(this.config.id, r, traceId) });
      return;
    }
    const record = auditRecord(this.config.id, r, traceId);
    if (this.#backlog.add(encodeAuditRecord(record)) && !this.#pumpScheduled) {
      // The records of one turn of the event loop go together (fewer, fuller messages under load).
      this.#pumpScheduled = true;
      setImmediate(this.#pump);
    }
  }

  readonly #pump = (): void => {
    this.#pumpScheduled = false;
    this.#shipper?.pump();
  };

  /** Records published, waiting and dropped, calls refused (for /metrics). */
  counts(): AuditCounts {
    return this.#backlog.counts();
  }

  /**
   * Waits (at most `waitMs`, and only while NATS is connected) for JetStream to store what is
   * left, so a node that stops loses no record.
   */
  async close(waitMs: number): Promise<void> {
    const until = Date.now() + waitMs;
    while (
      this.#shipper !== undefined &&
      this.#backlog.counts().backlogRecords > 0 &&
      this.link.isConnected() &&
      Date.now() < until
    ) {
      this.#shipper.pump();
      await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
    }
    this.#closed = true;
    const left = this.#backlog.counts();
    if (left.backlogRecords > 0)
      this.log.warn(`${left.backlogRecords} audit records not stored at shutdown: NATS slow or away`, { ...left });
    this.#shipper?.close();
    this.#publisher?.close();
  }
}
