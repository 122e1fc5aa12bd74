import type { EventEnvelope } from '@insights/sdk';
import { MAX_EVENT_HOPS, type HandlerRef, type Logger } from '@insights/runtime';
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from 'nats';
import { DLQ_SUBJECT_PREFIX, durableName, filterSubjectFor, ONLY_HANDLER_HEADER, token } from './subjects.ts';
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import { contextFrom, TRACEPARENT, type NodeTracing } from '../tracing.ts';

export interface HandlerConsumerDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly handler: HandlerRef;
  readonly log: Logger;
  readonly defaultMaxAttempts: number;
  /** Unacknowledged events go to another replica after this long without a sign of work, ms. */
  readonly ackWaitMs: number;
  /** How long a handler may take on one batch, ms. */
  readonly handlerTimeoutMs: number;
  /** Set when this replica keeps its own state (embedded db): it then reads every event itself. */
  readonly ownConsumerFor?: string | undefined;
  /** When tracing: each batch is a CONSUMER span linked to the traces that published its events. */
  readonly tracing?: NodeTracing | undefined;
}

type Mode = { type: 'realtime' } | { type: 'batched'; maxEvents: number; maxWaitMs: number };

const REALTIME_MAX_BATCH = 200;
const PREFETCH = 1000;
const PULL_EXPIRES_MS = 5_000;
const NS = 1_000_000;

/**
 * One handler's durable JetStream consumer on this node. Replicas of the module on other nodes
 * bind the same durable, so they split the work. Events are acknowledged only after the handler
 * has processed them; a failing batch is retried event by event, so one poison event goes to the
 * dead-letter subject after `maxAttempts` while the rest flow.
 */
export class HandlerConsumer {
  readonly durable: string;
  readonly #deps: HandlerConsumerDeps;
  readonly #mode: Mode;
  readonly #maxAttempts: number;
  readonly #label: string;
  #messages: ConsumerMessages | undefined;
  #buffer: JsMsg[] = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #abort = new AbortController();
  processed = 0;
  deadLettered = 0;
  /** Messages that arrived again (nak'd retries, or another replica's unacknowledged batch). */
  redelivered = 0;

  constructor(deps: HandlerConsumerDeps) {
    this.#deps = deps;
    this.durable = durableName(deps.handler.module, deps.handler.name, deps.ownConsumerFor);
    this.#mode = (deps.handler.meta.mode as Mode | undefined) ?? { type: 'realtime' };
    this.#maxAttempts = (deps.handler.meta.maxAttempts as number | undefined) ?? deps.defaultMaxAttempts;
    this.#label = `${deps.handler.module}.${deps.handler.name}`;
  }

  async start(): Promise<void> {
    const { jsm, js, stream, handler } = this.#deps;
    const config: Partial<ConsumerConfig> = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: filterSubjectFor(handler.types, handler.sources),
      ack_wait: this.#deps.ackWaitMs * NS,
      max_ack_pending: 20_000,
      description: `insights handler ${this.#label}`,
      // A per-node consumer of a node that never comes back is removed after a week.
      ...(this.#deps.ownConsumerFor === undefined ? {} : { inactive_threshold: 7 * 24 * 3600 * 1000 * NS }),
      ...startPolicy(handler.meta.startFrom),
    };
    try {
      await jsm.consumers.info(stream, this.durable);
      // Exists (another replica, or a restart): keep its position; update what may change.
      await jsm.consumers.update(stream, this.durable, {
        filter_subject: config.filter_subject,
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        description: config.description,
      });
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e;
      await jsm.consumers.add(stream, config).catch(async (err: Error) => {
        if (!/already|exists/i.test(err.message)) throw err; // a replica created it at the same moment
      });
    }
    const consumer = await js.consumers.get(stream, this.durable);
    // Short pulls: their heartbeats tell within seconds that the consumer's leader moved (a NATS
    // server lost), and the pull is renewed; with the 30 s default a handler stalled that long.
    this.#messages = await consumer.consume({
      max_messages: PREFETCH,
      expires: PULL_EXPIRES_MS,
      callback: (m) => this.#onMessage(m),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#messages?.stop();
    this.#abort.abort();
    await this.#running;
    // Unprocessed prefetched messages are redelivered to another replica after ack_wait; nak now to hurry that.
    for (const m of this.#buffer.splice(0)) m.nak();
  }

  #onMessage(m: JsMsg): void {
    this.#buffer.push(m);
    if (this.#mode.type === 'batched' && this.#buffer.length < this.#mode.maxEvents) {
      this.#timer ??= setTimeout(() => this.#drain(true), this.#mode.maxWaitMs);
      return;
    }
    this.#drain(false);
  }

  /** Processes the buffer one batch at a time; batched mode waits for a full batch unless its timer fired. */
  #drain(timerFired: boolean): void {
    if (timerFired) {
      this.#timer = undefined;
      this.#flushPartial = true;
    }
    if (this.#running !== undefined) return;
    this.#running = (async () => {
      // Let messages that arrive in the same turn of the event loop join the batch.
      await new Promise((r) => setImmediate(r));
      const max = this.#mode.type === 'batched' ? this.#mode.maxEvents : REALTIME_MAX_BATCH;
      while (this.#buffer.length > 0 && !this.#stopped) {
        if (this.#mode.type === 'batched' && this.#buffer.length < max && !this.#flushPartial) break;
        this.#flushPartial = false;
        await this.#process(this.#buffer.splice(0, max));
      }
    })().finally(() => {
      this.#running = undefined;
      if (this.#buffer.length === 0 || this.#stopped) return;
      if (this.#mode.type === 'batched' && this.#buffer.length < this.#mode.maxEvents && !this.#flushPartial)
        this.#timer ??= setTimeout(() => this.#drain(true), this.#mode.maxWaitMs);
      else this.#drain(false);
    });
  }

  #flushPartial = false;

  async #process(msgs: JsMsg[]): Promise<void> {
    const events: EventEnvelope[] = [];
    const carriers: JsMsg[] = [];
    for (const m of msgs) {
      if (m.redelivered) this.redelivered++;
      const only = m.headers?.get(ONLY_HANDLER_HEADER);
      if (only !== undefined && only !== '' && only !== this.#label) {
        m.ack();
        continue;
      }
      let e: EventEnvelope;
      try {
        e = JSON.parse(new TextDecoder().decode(m.data)) as EventEnvelope;
      } catch (err) {
        await this.#deadLetter(m, undefined, `undecodable event: ${(err as Error).message}`);
        continue;
      }
      if ((e.hops ?? 0) > MAX_EVENT_HOPS) {
        m.ack();
        continue;
      }
      events.push(e);
      carriers.push(m);
    }
    if (events.length === 0) return;
    // A short ack wait lets a crashed replica's events be redelivered quickly; while a batch is
    // being processed, tell JetStream we are still working on it.
    const keepAlive = setInterval(
      () => {
        for (const m of carriers) m.working();
      },
      Math.max(500, Math.floor(this.#deps.ackWaitMs / 3)),
    );
    try {
      await this.#deliver(events, carriers);
      for (const m of carriers) m.ack();
      this.processed += events.length;
    } catch (e) {
      if (events.length === 1) return this.#failed(carriers[0] as JsMsg, events[0] as EventEnvelope, e);
      // Find the poison: retry one by one; handlers are idempotent per event (ctx.updateOnce).
      for (let i = 0; i < events.length; i++) {
        try {
          await this.#deliver([events[i] as EventEnvelope]);
          (carriers[i] as JsMsg).ack();
          this.processed++;
        } catch (err) {
          await this.#failed(carriers[i] as JsMsg, events[i] as EventEnvelope, err);
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  #deliver(events: EventEnvelope[], carriers?: readonly JsMsg[]): Promise<number> {
    const run = () =>
      this.#deps.handler.host.handleEvents(this.#deps.handler.name, events, {
        deadline: Date.now() + this.#deps.handlerTimeoutMs,
        signal: this.#abort.signal,
      });
    const tracing = this.#deps.tracing;
    if (tracing === undefined || carriers === undefined) return run();
    const parents = carriers.map((m) => m.headers?.get(TRACEPARENT) ?? '').filter((t) => t !== '');
    const links: Link[] = [];
    for (const p of new Set(parents)) {
      const sc = trace.getSpanContext(contextFrom(p));
      if (sc !== undefined) links.push({ context: sc });
    }
    // One event: its ingest is the parent. A batch mixes traces: each one is a link.
    return tracing.span(
      `insights.events ${this.#label}`,
      parents.length === 1 ? parents[0] : undefined,
      { 'insights.handler': this.#label, 'messaging.batch.message_count': events.length },
      run,
      SpanKind.CONSUMER,
      links,
    );
  }

  async #failed(m: JsMsg, e: EventEnvelope, err: unknown): Promise<void> {
    const attempts = m.info.redeliveryCount;
    const message = err instanceof Error ? err.message : String(err);
    if (attempts >= this.#maxAttempts) return this.#deadLetter(m, e, message);
    const delay = Math.min(30_000, 200 * 2 ** (attempts - 1));
    this.#deps.log.warn('event handler failed; will retry', {
      handler: this.#label,
      event: e.id,
      attempt: attempts,
      retryInMs: delay,
      error: message,
    });
    m.nak(delay);
  }

  async #deadLetter(m: JsMsg, e: EventEnvelope | undefined, error: string): Promise<void> {
    const { js, handler } = this.#deps;
    const record = {
      module: handler.module,
      handler: handler.name,
      error,
      attempts: m.info.redeliveryCount,
      streamSeq: m.seq,
      subject: m.subject,
      failedAt: new Date().toISOString(),
      event: e ?? new TextDecoder().decode(m.data),
    };
    await js.publish(
      `${DLQ_SUBJECT_PREFIX}.${token(handler.module)}.${token(handler.name)}`,
      new TextEncoder().encode(JSON.stringify(record)),
    );
    m.term();
    this.deadLettered++;
    this.#deps.log.error('event moved to the dead-letter subject', {
      handler: this.#label,
      event: e?.id,
      attempts: record.attempts,
      error,
    });
  }
}

function startPolicy(startFrom: unknown): Partial<ConsumerConfig> {
  if (startFrom === 'now') return { deliver_policy: DeliverPolicy.New };
  if (typeof startFrom === 'object' && startFrom !== null && typeof (startFrom as { time?: unknown }).time === 'string')
    return {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date((startFrom as { time: string }).time).toISOString(),
    };
  return { deliver_policy: DeliverPolicy.All };
}
