import type { EventEnvelope } from '@insights/sdk';
import { APPLIED_CAP, type StreamDelivery } from '@insights/runtime';
import { AckPolicy, type Consumer, type ConsumerConfig, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { AckLedger } from './ack-ledger.ts';
import {
  deadLetter,
  deliverEvents,
  forAnother,
  handlerLabel,
  readMessage,
  writeDeadLetter,
  type DeliveryDeps,
} from './delivery.ts';
import { ensureDurable, startPolicy, waitForUnacknowledged } from './durable.ts';
import { isPageSubject } from './event-page.ts';
import { EventsPerMessage } from './events-per-message.ts';
import { republishAlone } from './page-event-retry.ts';
import { readPageFor, type PagedEvent, type RefusedInPage } from './page-selection.ts';
import { pullLoop } from './pull-loop.ts';
import { streamDelivery, type EventAt } from './stream-delivery.ts';
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
/** Events held at most: a full batch in hand and the next one already fetched (a page counts its events). */
const PREFETCH = 2 * REALTIME_MAX_BATCH;
const PULL_EXPIRES_MS = 5_000;
const NS = 1_000_000;
/** At most one warning this often that the ack floor is stuck, ms. */
const FLOOR_WARNING_EVERY_MS = 60_000;
/** A page whose failed event could not be re-published alone comes again after this long, ms. */
const PAGE_RETRY_MS = 5_000;

/** What a message holds for this handler, read as it arrives. */
type Reading =
  | { type: 'event'; event: EventEnvelope }
  | { type: 'skip' }
  | { type: 'invalid'; error: string }
  | { type: 'page'; events: PagedEvent[]; refused: RefusedInPage[] };

/** A message in hand, what it holds, and how many events it stands for in the prefetch bound. */
interface Held {
  readonly m: JsMsg;
  readonly read: Reading;
  readonly weight: number;
}

/** An event to hand to the handler, and where it came from. */
interface Pending {
  readonly h: Held;
  readonly event: EventEnvelope;
  readonly index: number;
}

/**
 * One handler's durable JetStream consumer on this node. Replicas of the module on other nodes
 * bind the same durable, so they split the work. Events are acknowledged only after the handler
 * has processed them; a failing batch is retried event by event, so one poison event goes to the
 * dead-letter subject after `maxAttempts` while the rest flow. A page (event-page.ts) is
 * acknowledged once all its events for this handler are settled: an event of it that fails alone
 * is re-published alone for this consumer only, and retried from there like any other.
 */
export class HandlerConsumer implements HandlerWorker {
  readonly durable: string;
  readonly #deps: HandlerConsumerDeps;
  readonly #mode: Mode;
  readonly #maxAttempts: number;
  readonly #label: string;
  #buffer: Held[] = [];
  /** Events the buffer stands for, and the batch in hand. */
  #bufferedEvents = 0;
  #inHandEvents = 0;
  /** Sizes the pulls so pages do not overfill the prefetch. */
  readonly #perMessage = new EventsPerMessage();
  /** Stream sequences in the buffer or in hand: a copy redelivered meanwhile is dropped. */
  readonly #holding = new Set<number>();
  readonly #ledger: AckLedger;
  /** The batch the handler is working on. */
  #inHand: readonly Held[] = [];
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
      // Its sources and types in every subject layout: every event it may handle, read once.
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
        for (const h of this.#inHand) h.m.working();
        for (const h of this.#buffer) h.m.working();
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
      room: () => this.#perMessage.messagesFor(PREFETCH - this.#bufferedEvents - this.#inHandEvents),
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
    for (const h of this.#buffer.splice(0)) {
      this.#holding.delete(h.m.seq);
      h.m.nak();
    }
    this.#bufferedEvents = 0;
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
    const read = this.#read(m);
    const weight = read.type === 'page' ? Math.max(1, read.events.length) : 1;
    this.#perMessage.saw(weight);
    this.#buffer.push({ m, read, weight });
    this.#bufferedEvents += weight;
    if (this.#mode.type === 'batched' && this.#bufferedEvents < this.#mode.maxEvents) {
      this.#timer ??= setTimeout(() => this.#drain(true), this.#mode.maxWaitMs);
      return;
    }
    this.#drain(false);
  }

  #read(m: JsMsg): Reading {
    if (!isPageSubject(m.subject)) return readMessage(m, this.#label, this.durable, this.#deps.limits);
    if (forAnother(m, this.#label, this.durable)) return { type: 'skip' };
    const r = readPageFor(this.#deps.pages.read(m.seq, m.data), { handler: this.#deps.handler });
    return r.type === 'page' && r.events.length === 0 && r.refused.length === 0 ? { type: 'skip' } : r;
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
      const max = this.#batchSize();
      while (this.#buffer.length > 0 && !this.#stopped) {
        if (this.#mode.type === 'batched' && this.#bufferedEvents < max && !this.#flushPartial) break;
        this.#flushPartial = false;
        // Whole messages, up to `max` events (a page larger than that is handed over in parts).
        let n = 0;
        let events = 0;
        for (; n < this.#buffer.length && (n === 0 || events + this.#buffer[n]!.weight <= max); n++)
          events += this.#buffer[n]!.weight;
        this.#inHand = this.#buffer.splice(0, n);
        this.#bufferedEvents -= events;
        this.#inHandEvents = events;
        try {
          await this.#process(this.#inHand);
        } catch (e) {
          // Never expected (#process settles every message); left unacknowledged, they come again.
          this.#deps.log.error('event batch failed unexpectedly', { handler: this.#label, error: (e as Error).message });
        } finally {
          for (const h of this.#inHand) this.#holding.delete(h.m.seq);
          this.#inHand = [];
          this.#inHandEvents = 0;
        }
        const freed = this.#roomFreed;
        this.#roomFreed = undefined;
        freed?.();
      }
    })().finally(() => {
      this.#running = undefined;
      if (this.#buffer.length === 0 || this.#stopped) return;
      if (this.#mode.type === 'batched' && this.#bufferedEvents < this.#mode.maxEvents && !this.#flushPartial)
        this.#timer ??= setTimeout(() => this.#drain(true), this.#mode.maxWaitMs);
      else this.#drain(false);
    });
  }

  #batchSize(): number {
    return this.#mode.type === 'batched' ? this.#mode.maxEvents : REALTIME_MAX_BATCH;
  }

  async #process(held: readonly Held[]): Promise<void> {
    const pending: Pending[] = [];
    /** Messages already acknowledged, nak'd or dead-lettered here. */
    const settled = new Set<Held>();
    for (const h of held) {
      const { m, read } = h;
      if (read.type === 'skip') {
        m.ack();
        settled.add(h);
      } else if (read.type === 'invalid') {
        this.rejected++;
        await this.#deadLetter(m, undefined, read.error);
        settled.add(h);
      } else if (read.type === 'event') pending.push({ h, event: read.event, index: 0 });
      else if (await this.#refuseInPage(h, read.refused)) for (const p of read.events) pending.push({ h, ...p });
      else settled.add(h);
    }
    /** Pages one of whose events could not be re-published: they come again whole. */
    const unsettledPages = new Set<Held>();
    const max = this.#batchSize();
    for (let from = 0; from < pending.length; from += max)
      await this.#deliver(pending.slice(from, from + max), settled, unsettledPages);
    for (const h of held) {
      if (settled.has(h)) continue;
      if (unsettledPages.has(h)) h.m.nak(PAGE_RETRY_MS);
      else this.#acknowledge(h.m);
    }
  }

  /** Dead-letters a page's events that are no valid event, one by one; false (the page nak'd) if a record could not be written. */
  async #refuseInPage(h: Held, refused: readonly RefusedInPage[]): Promise<boolean> {
    for (const r of refused) {
      this.rejected++;
      if (!(await writeDeadLetter(this.#deps, h.m, r.shown, r.reason, h.m.info.deliveryCount, r.index))) {
        h.m.nak(PAGE_RETRY_MS);
        return false;
      }
      this.deadLettered++;
    }
    return true;
  }

  /** Hands one batch to the handler; on failure each event goes again alone, and what still fails is retried or dead-lettered. */
  async #deliver(batch: readonly Pending[], settled: Set<Held>, unsettledPages: Set<Held>): Promise<void> {
    const signal = this.#abort.signal;
    const delivery = this.#delivery(batch);
    try {
      await deliverEvents(
        this.#deps,
        batch.map((p) => p.event),
        signal,
        batch.map((p) => p.h.m),
        delivery,
      );
      this.processed += batch.length;
      return;
    } catch (e) {
      if (batch.length === 1) return this.#failed(batch[0]!, e, settled, unsettledPages);
    }
    // Find the poison: retry one by one; handlers are idempotent per event (ctx.updateOnce).
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      try {
        await deliverEvents(this.#deps, [p.event], signal, undefined, {
          seqs: [delivery.seqs[i]!],
          ackFloor: delivery.ackFloor,
        });
        this.processed++;
      } catch (err) {
        await this.#failed(p, err, settled, unsettledPages);
      }
    }
  }

  /**
   * The events' positions and the ack floor last read: `updateOnce` remembers a handler's
   * events above the floor, which is what replicas sharing this consumer can hand each other
   * again. A floor that trails by more than it can hold (a reader gone with events unacknowledged,
   * for longer than the ack wait) is counted and warned about.
   */
  #delivery(batch: readonly Pending[]): StreamDelivery {
    const at: EventAt[] = batch.map((p) => ({ seq: p.h.m.seq, index: p.index }));
    const { delivery, behind, pastMemory } = streamDelivery(at, this.#ledger.floor);
    if (pastMemory) {
      this.pastOnceMemory += batch.length;
      if (Date.now() - this.#floorWarnedAt > FLOOR_WARNING_EVERY_MS) {
        this.#floorWarnedAt = Date.now();
        this.#deps.log.warn('the ack floor trails by more than updateOnce remembers; a redelivery may apply twice', {
          handler: this.#label,
          ackFloor: this.#ledger.floor,
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

  /**
   * An event failed alone. Its own message goes back to the stream with a backoff, or to the dead
   * letters after `maxAttempts`. An event of a page cannot be (the page holds others): it is
   * re-published alone, for this consumer only, and takes that path from there; its page is
   * acknowledged. Stopping, or a re-publish that fails, leaves the page to come again whole.
   */
  async #failed(p: Pending, err: unknown, settled: Set<Held>, unsettledPages: Set<Held>): Promise<void> {
    const { h, event } = p;
    const message = err instanceof Error ? err.message : String(err);
    if (h.read.type === 'page') {
      const sent = !this.#abort.signal.aborted && (await republishAlone(this.#deps, this.durable, event, message));
      if (!sent) unsettledPages.add(h);
      return;
    }
    settled.add(h);
    const attempts = h.m.info.deliveryCount;
    if (attempts >= this.#maxAttempts) return this.#deadLetter(h.m, event, message);
    const delay = Math.min(30_000, 200 * 2 ** (attempts - 1));
    this.#deps.log.warn('event handler failed; will retry', {
      handler: this.#label,
      event: event.id,
      attempt: attempts,
      retryInMs: delay,
      error: message,
    });
    h.m.nak(delay);
  }

  async #deadLetter(m: JsMsg, e: EventEnvelope | undefined, error: string): Promise<void> {
    if (await deadLetter(this.#deps, m, e, error)) this.deadLettered++;
  }
}
