import type { EventEnvelope } from '@insights/sdk';
import { APPLIED_CAP, type StreamDelivery } from '@insights/runtime';
import { AckPolicy, type Consumer, type ConsumerConfig, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { AckLedger } from './ack-ledger.ts';
import { deadLetter, deliverEvents, handlerLabel, readMessage, type DeliveryDeps } from './delivery.ts';
import { ensureDurable, startPolicy, waitForUnacknowledged } from './durable.ts';
import { pullLoop } from './pull-loop.ts';
import { streamDelivery } from './stream-delivery.ts';
import { filterSubjectsFor } from './subject-filters.ts';
import { consumerDescription, durableName } from './subjects.ts';

export interface HandlerConsumerDeps extends DeliveryDeps {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly defaultMaxAttempts: number;
  /** Unacknowledged events go to another replica after this long without a sign of work, ms. */
  readonly ackWaitMs: number;
  /** Set when this replica keeps its own state (embedded db): it then reads every event itself. */
  readonly ownConsumerFor?: string | undefined;
}

/** The surface the event system needs from any handler's reader (plain or partitioned). */
export interface HandlerWorker {
  /** For stats and logs: the durable, or the pattern of a partitioned handler's durables. */
  readonly name: string;
  /** The durable consumers it reads (one, or one per partition). */
  readonly durables: readonly string[];
  readonly processed: number;
  readonly deadLettered: number;
  /** Messages refused before any handler saw them (too large or deep, not JSON, not an envelope); dead-lettered too. */
  readonly rejected: number;
  readonly redelivered: number;
  /** Redeliveries of events this process had handled (an ack lost), acknowledged without running the handler. */
  readonly duplicatesSkipped: number;
  /** Events handled while the ack floor trailed by more than `updateOnce` remembers (APPLIED_CAP); plain consumers only. */
  readonly pastOnceMemory?: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Mode = { type: 'realtime' } | { type: 'batched'; maxEvents: number; maxWaitMs: number };

/**
 * Batches are sized by throughput: a realtime batch is whatever arrived while the previous one
 * was handled, up to this many, so a handler that keeps up sees small batches (low latency) and
 * one behind a backlog (an import) large ones, whose writes its database commits together.
 */
const REALTIME_MAX_BATCH = 500;
/** Messages held at most: a full batch in hand and the next one already fetched. */
const PREFETCH = 2 * REALTIME_MAX_BATCH;
const PULL_EXPIRES_MS = 5_000;
const NS = 1_000_000;
/** At most one warning this often that the ack floor is stuck, ms. */
const FLOOR_WARNING_EVERY_MS = 60_000;

/**
 * One handler's durable JetStream consumer on this node. Replicas of the module on other nodes
 * bind the same durable, so they split the work. Events are acknowledged only after the handler
 * has processed them; a failing batch is retried event by event, so one poison event goes to the
 * dead-letter subject after `maxAttempts` while the rest flow.
 */
export class HandlerConsumer implements HandlerWorker {
  readonly durable: string;
  readonly #deps: HandlerConsumerDeps;
  readonly #mode: Mode;
  readonly #maxAttempts: number;
  readonly #label: string;
  #buffer: JsMsg[] = [];
  /** Stream sequences in the buffer or in hand: a copy redelivered meanwhile is dropped. */
  readonly #holding = new Set<number>();
  readonly #ledger: AckLedger;
  /** The batch the handler is working on. */
  #inHand: readonly JsMsg[] = [];
  #running: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #roomFreed: (() => void) | undefined;
  #stopped = false;
  #flushPartial = false;
  readonly #abort = new AbortController();
  processed = 0;
  deadLettered = 0;
  rejected = 0;
  /** Messages that arrived again (nak'd retries, or another replica's unacknowledged batch). */
  redelivered = 0;
  /** Events handled while the ack floor trailed by more than `updateOnce` remembers (see #delivery). */
  pastOnceMemory = 0;
  #floorWarnedAt = 0;

  constructor(deps: HandlerConsumerDeps) {
    this.#deps = deps;
    this.durable = durableName(deps.handler.module, deps.handler.name, deps.ownConsumerFor);
    this.#mode = (deps.handler.meta.mode as Mode | undefined) ?? { type: 'realtime' };
    this.#maxAttempts = (deps.handler.meta.maxAttempts as number | undefined) ?? deps.defaultMaxAttempts;
    this.#label = handlerLabel(deps.handler);
    this.#ledger = new AckLedger(deps.jsm, deps.stream, () => this.durables);
  }

  get duplicatesSkipped(): number {
    return this.#ledger.duplicatesSkipped;
  }

  get durables(): readonly string[] {
    return [this.durable];
  }
  get name(): string {
    return this.durable;
  }

  async start(): Promise<void> {
    const { jsm, js, stream, handler } = this.#deps;
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      // Its sources and types in both subject layouts: every event it may handle, read once.
      filter_subjects: filterSubjectsFor(handler.types, handler.sources),
      ack_wait: this.#deps.ackWaitMs * NS,
      max_ack_pending: 20_000,
      // The node in the description tells the wait for handlers whose consumer this is.
      description: consumerDescription(
        this.#label,
        this.#deps.ownConsumerFor === undefined ? undefined : { node: this.#deps.ownConsumerFor },
      ),
      // A per-node consumer of a node that never comes back is removed after a week.
      ...(this.#deps.ownConsumerFor === undefined ? {} : { inactive_threshold: 7 * 24 * 3600 * 1000 * NS }),
      ...startPolicy(handler.meta.startFrom),
    };
    await ensureDurable(jsm, stream, config);
    const consumer = await js.consumers.get(stream, this.durable);
    // Everything this node holds unacknowledged is being worked on: say so, so JetStream does not
    // hand it to another replica (or to us again) while we are alive.
    this.#keepAlive = setInterval(
      () => {
        for (const m of this.#inHand) m.working();
        for (const m of this.#buffer) m.working();
      },
      Math.max(500, Math.floor(this.#deps.ackWaitMs / 3)),
    );
    this.#loop = (async () => {
      // This node's own consumer holding events: a previous process of this node was killed while
      // handling them. Wait for them to come back (ahead of newer ones, see waitForUnacknowledged).
      if (this.#deps.ownConsumerFor !== undefined) {
        const until = Date.now() + PULL_EXPIRES_MS + this.#deps.ackWaitMs + 500;
        await waitForUnacknowledged(jsm, stream, this.durable, until, () => this.#stopped).catch(() => undefined);
      }
      await this.#pull(consumer);
    })().catch((e: unknown) =>
      this.#deps.log.error('event reader stopped', { handler: this.#label, error: (e as Error).message }),
    );
  }

  #pull(consumer: Consumer): Promise<void> {
    return pullLoop({
      consumer,
      room: () => PREFETCH - this.#buffer.length - this.#inHand.length,
      roomFreed: () => new Promise<void>((r) => (this.#roomFreed = r)),
      onMessage: (m) => this.#onMessage(m),
      signal: this.#abort.signal,
      keepGoing: () => !this.#stopped,
      expiresMs: PULL_EXPIRES_MS,
      onError: (e, attempt) =>
        this.#deps.log.warn('pulling events failed; retrying', { handler: this.#label, attempt, error: e.message }),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    clearInterval(this.#keepAlive);
    this.#ledger.stop();
    this.#abort.abort();
    this.#roomFreed?.();
    await this.#running;
    await this.#loop;
    // Unprocessed messages are redelivered to another replica after ack_wait; nak now to hurry that.
    for (const m of this.#buffer.splice(0)) {
      this.#holding.delete(m.seq);
      m.nak();
    }
  }

  #onMessage(m: JsMsg): void {
    if (this.#stopped) return void m.nak();
    if (m.redelivered) this.redelivered++;
    if (this.#ledger.handled(m.seq)) {
      this.#ledger.duplicatesSkipped++;
      return void m.ack();
    }
    // The copy in hand acknowledges this sequence (or naks it, and it comes again).
    if (this.#holding.has(m.seq)) return;
    this.#holding.add(m.seq);
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
        this.#inHand = this.#buffer.splice(0, max);
        try {
          await this.#process(this.#inHand);
        } catch (e) {
          // Never expected (#process settles every message); left unacknowledged, they come again.
          this.#deps.log.error('event batch failed unexpectedly', { handler: this.#label, error: (e as Error).message });
        } finally {
          for (const m of this.#inHand) this.#holding.delete(m.seq);
          this.#inHand = [];
        }
        const freed = this.#roomFreed;
        this.#roomFreed = undefined;
        freed?.();
      }
    })().finally(() => {
      this.#running = undefined;
      if (this.#buffer.length === 0 || this.#stopped) return;
      if (this.#mode.type === 'batched' && this.#buffer.length < this.#mode.maxEvents && !this.#flushPartial)
        this.#timer ??= setTimeout(() => this.#drain(true), this.#mode.maxWaitMs);
      else this.#drain(false);
    });
  }

  async #process(msgs: readonly JsMsg[]): Promise<void> {
    const events: EventEnvelope[] = [];
    const carriers: JsMsg[] = [];
    for (const m of msgs) {
      const r = readMessage(m, this.#label, this.#deps.limits);
      if (r.type === 'skip') m.ack();
      else if (r.type === 'invalid') {
        this.rejected++;
        await this.#deadLetter(m, undefined, r.error);
      } else {
        events.push(r.event);
        carriers.push(m);
      }
    }
    if (events.length === 0) return;
    const signal = this.#abort.signal;
    const delivery = this.#delivery(carriers);
    try {
      await deliverEvents(this.#deps, events, signal, carriers, delivery);
      for (const m of carriers) this.#acknowledge(m);
      this.processed += events.length;
    } catch (e) {
      if (events.length === 1) return this.#failed(carriers[0] as JsMsg, events[0] as EventEnvelope, e);
      // Find the poison: retry one by one; handlers are idempotent per event (ctx.updateOnce).
      for (let i = 0; i < events.length; i++) {
        const m = carriers[i] as JsMsg;
        try {
          await deliverEvents(this.#deps, [events[i] as EventEnvelope], signal, undefined, {
            seqs: [m.seq],
            ackFloor: delivery.ackFloor,
          });
          this.#acknowledge(m);
          this.processed++;
        } catch (err) {
          await this.#failed(m, events[i] as EventEnvelope, err);
        }
      }
    }
  }

  /**
   * The events' stream sequences and the ack floor last read: `updateOnce` remembers a handler's
   * events above the floor, which is what replicas sharing this consumer can hand each other
   * again. A floor that trails by more than it can hold (a reader gone with events unacknowledged,
   * for longer than the ack wait) is counted and warned about.
   */
  #delivery(msgs: readonly JsMsg[]): StreamDelivery {
    const { delivery, behind, pastMemory } = streamDelivery(
      msgs.map((m) => m.seq),
      this.#ledger.floor,
    );
    if (pastMemory) {
      this.pastOnceMemory += msgs.length;
      if (Date.now() - this.#floorWarnedAt > FLOOR_WARNING_EVERY_MS) {
        this.#floorWarnedAt = Date.now();
        this.#deps.log.warn('the ack floor trails by more than updateOnce remembers; a redelivery may apply twice', {
          handler: this.#label,
          ackFloor: delivery.ackFloor,
          behind,
          remembers: APPLIED_CAP,
        });
      }
    }
    return delivery;
  }

  #acknowledge(m: JsMsg): void {
    this.#ledger.record(m.seq);
    m.ack();
  }

  async #failed(m: JsMsg, e: EventEnvelope, err: unknown): Promise<void> {
    const attempts = m.info.deliveryCount;
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
    if (await deadLetter(this.#deps, m, e, error)) this.deadLettered++;
  }
}
