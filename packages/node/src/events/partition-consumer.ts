import type { EventEnvelope } from '@insights/sdk';
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { AckLedger } from './ack-ledger.ts';
import { deadLetter, forAnother, handlerLabel, readMessage, writeDeadLetter, type DeliveryDeps } from './delivery.ts';
import { isPageSubject } from './event-page.ts';
import { EventsPerMessage } from './events-per-message.ts';
import { readPageFor } from './page-selection.ts';
import { deliverInOrder, type Queued } from './in-order-delivery.ts';
import { ensureDurable, startPolicy, waitForUnacknowledged } from './durable.ts';
import { bucketOf, PARTITION_KEYS, partitionBuckets, partitionOf, SUBJECT_BUCKETS, type PartitionKey } from './partition-key.ts';
import { pullLoop } from './pull-loop.ts';
import { filterSubjectsFor } from './subject-filters.ts';
import { consumerDescription, KEYED_MARKER, partitionDurableName, subjectBucket } from './subjects.ts';

export interface PartitionStats {
  processed: number;
  deadLettered: number;
  /** Messages that were no valid event (or on a subject that lies about its key), refused and dead-lettered. */
  rejected: number;
  redelivered: number;
}

export interface PartitionConsumerDeps extends DeliveryDeps {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly key: PartitionKey;
  readonly partitions: number;
  readonly partition: number;
  readonly maxAttempts: number;
  readonly ackWaitMs: number;
  /** Shorter than the lease: a dead owner's last pull must be over before anyone can take its partition. */
  readonly pullExpiresMs: number;
  readonly stats: PartitionStats;
  /** This partition's: sequences handled here whose ack may have been lost (a page is read by every partition). */
  readonly ledger: AckLedger;
}

/** A page whose refused event's dead letter could not be written comes again after this long, ms. */
const DEAD_LETTER_RETRY_MS = 5_000;
/** At most this many events fetched ahead; fewer when the handler is slow (all must finish within the ack wait). */
const MAX_AHEAD = 64;
const NS = 1_000_000;

/**
 * Reads one partition of a partitioned handler, on the node that holds its lease. Events are
 * handled in stream order, one at a time (runs of consecutive events for batched handlers), and
 * acknowledged after success; a failing event is retried in place (later events of its key
 * wait) and dead-lettered after `maxAttempts` (in-order-delivery.ts).
 * Its durable is filtered by the server to the events nodes published in its buckets (keyed
 * subjects), so each of those is read by one partition only; raw-layout events (subjects.ts)
 * carry no key, so every partition reads them and passes by those of other partitions. Pages
 * (event-page.ts) mix keys: every partition reads them and takes its own events by the page's
 * index (parsing only those); the page is acknowledged once they are all handled.
 */
export class PartitionConsumer {
  readonly durable: string;
  /**
   * Its durable's filters. Keyed subjects of its buckets only, unless the partition count does not
   * divide SUBJECT_BUCKETS or a raw pattern covers the keyed ones (a handler naming no source and
   * every type): then it reads all the handler's events, like every other partition.
   */
  readonly filterSubjects: readonly string[];
  /** Whether the server sends it only its own partition's keyed events (else it passes the others' by). */
  readonly selective: boolean;
  readonly #deps: PartitionConsumerDeps;
  readonly #label: string;
  readonly #abort = new AbortController();
  #queue: Queued[] = [];
  #inHand: readonly Queued[] = [];
  /** Events per delivery: one in realtime mode (so derived event ids never depend on timing), up to maxEvents when batched. */
  readonly #batch: number;
  #draining = false;
  #worker: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #roomFreed: (() => void) | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  /** Moving average of one event's handling time, ms: sizes the pulls. */
  #avgMs = 1;
  /** Sizes the pulls in messages (a page brings this partition's share of it). */
  readonly #perMessage = new EventsPerMessage();
  /**
   * After a takeover, the events the previous owner held unacknowledged: JetStream redelivers
   * them before anything newer but not necessarily in stream order (they expire in separate
   * sweeps), so they are gathered, all `left` of them up to stream sequence `upTo`, and sorted.
   */
  #strays: { upTo: number; left: number } | undefined;

  constructor(deps: PartitionConsumerDeps) {
    this.#deps = deps;
    this.durable = partitionDurableName(deps.handler.module, deps.handler.name, deps.partition);
    const buckets = partitionBuckets(deps.partition, deps.partitions);
    this.filterSubjects = filterSubjectsFor(
      deps.handler.types,
      deps.handler.sources,
      buckets === undefined ? undefined : { key: deps.key, buckets },
    );
    this.selective = buckets !== undefined && this.filterSubjects.some((f) => f.split('.')[2] === KEYED_MARKER);
    this.#label = handlerLabel(deps.handler);
    const mode = deps.handler.meta.mode as { type: string; maxEvents?: number } | undefined;
    this.#batch = mode?.type === 'batched' ? Math.max(1, mode.maxEvents ?? 1) : 1;
  }

  /**
   * Creates the durable (all replicas do, for every partition, at start: its position starts
   * with the handler), at `startSeq` when it takes over from an unpartitioned durable.
   */
  async ensure(startSeq?: number): Promise<void> {
    const { handler } = this.#deps;
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      filter_subjects: [...this.filterSubjects],
      ack_wait: this.#deps.ackWaitMs * NS,
      max_ack_pending: 1_000,
      description: consumerDescription(this.#label, { partition: this.#deps.partition, partitions: this.#deps.partitions }),
      ...(startSeq === undefined
        ? startPolicy(handler.meta.startFrom)
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
    };
    await ensureDurable(this.#deps.jsm, this.#deps.stream, config);
  }

  /**
   * Starts reading. After a takeover, events a previous owner held unacknowledged come back
   * only once their ack wait runs out; reading newer ones first would break the key's order, so
   * the first pull waits until none are held or that time has passed (then JetStream redelivers
   * them before anything newer), and they are handled in stream order (see #strays).
   */
  start(takeover: boolean): void {
    this.#keepAlive = setInterval(
      () => {
        // A page's events share one message: tell JetStream once.
        const held = new Set<JsMsg>();
        for (const q of this.#inHand) held.add(q.m);
        for (const q of this.#queue) held.add(q.m);
        for (const m of held) m.working();
      },
      Math.max(300, Math.floor(this.#deps.ackWaitMs / 3)),
    );
    this.#loop = (async () => {
      if (takeover) await this.#waitForStrays();
      // Should the count be off (an ack that arrived late), newer events end the gathering anyway; so does this.
      if (this.#strays !== undefined) setTimeout(() => this.#endStrays(), 2 * this.#deps.pullExpiresMs).unref();
      const consumer = await this.#deps.js.consumers.get(this.#deps.stream, this.durable);
      await pullLoop({
        consumer,
        room: () => this.#room(),
        roomFreed: () => new Promise<void>((r) => (this.#roomFreed = r)),
        onMessage: (m) => this.#onMessage(m),
        signal: this.#abort.signal,
        keepGoing: () => !this.#draining,
        expiresMs: this.#deps.pullExpiresMs,
        onError: (e, attempt) =>
          this.#deps.log.warn('pulling a partition failed; retrying', {
            handler: this.#label,
            partition: this.#deps.partition,
            attempt,
            error: e.message,
          }),
      });
    })().catch((e: unknown) => {
      if (!this.#abort.signal.aborted)
        this.#deps.log.error('partition reader stopped', { handler: this.#label, error: (e as Error).message });
    });
  }

  /**
   * Hands the partition back in order: no new pulls, and everything already pulled (the rest of
   * the current pull included) is handled first, while the lease is still ours. Returning it to
   * the stream instead (nak) reordered it: a nak'd event came back into our still-open pull and
   * went behind newer ones.
   */
  async release(): Promise<void> {
    this.#draining = true;
    this.#wake();
    await this.#loop;
    this.#endStrays();
    await this.#worker;
    clearInterval(this.#keepAlive);
  }

  /**
   * The lease is gone (or the node stops hard): stop at once. What we held stays unacknowledged;
   * JetStream redelivers it, in stream order, after the ack wait, which the next owner waits out.
   */
  async abort(): Promise<void> {
    this.#draining = true;
    this.#abort.abort();
    this.#wake();
    await this.#loop;
    await this.#worker;
    this.#queue = [];
    clearInterval(this.#keepAlive);
  }

  #room(): number {
    if (this.#strays !== undefined) return Math.max(1, this.#strays.left);
    const ahead = Math.max(
      this.#batch,
      Math.min(Math.max(MAX_AHEAD, this.#batch), Math.floor(this.#deps.ackWaitMs / 3 / this.#avgMs)),
    );
    const events = ahead - this.#queue.length - this.#inHand.length;
    // In messages: a pull stays open until it expires and takes what arrives, pages included.
    return events <= 0 ? 0 : Math.max(1, this.#perMessage.messagesFor(events));
  }

  #wake(): void {
    const freed = this.#roomFreed;
    this.#roomFreed = undefined;
    freed?.();
  }

  async #waitForStrays(): Promise<void> {
    // The previous owner's last pull may still take events for up to its expiry; they come back an ack wait later.
    const until = Date.now() + this.#deps.pullExpiresMs + this.#deps.ackWaitMs + 500;
    const { jsm, stream } = this.#deps;
    const info = await waitForUnacknowledged(jsm, stream, this.durable, until, () => this.#draining);
    if (info !== undefined) this.#strays = { upTo: info.delivered.stream_seq, left: info.num_ack_pending };
  }

  #onMessage(m: JsMsg): void | Promise<void> {
    if (this.#abort.signal.aborted) return;
    const strays = this.#strays;
    if (strays === undefined) {
      const r = this.#acceptCounted(m);
      this.#startWorker();
      return r;
    }
    // Redeliveries come before anything newer, so the first newer event ends the gathering.
    if (m.seq <= strays.upTo) strays.left--;
    const r = this.#acceptCounted(m);
    if (m.seq > strays.upTo || strays.left <= 0) this.#endStrays();
    return r;
  }

  /** #accept, keeping the average of events a message queues (a page queues this partition's share of it). */
  #acceptCounted(m: JsMsg): void | Promise<void> {
    const before = this.#queue.length;
    const r = this.#accept(m);
    this.#perMessage.saw(this.#queue.length - before);
    return r;
  }

  /** The previous owner's events are all here: handle them in stream order, then go on. */
  #endStrays(): void {
    if (this.#strays === undefined) return;
    this.#strays = undefined;
    this.#queue.sort((a, b) => a.m.seq - b.m.seq);
    this.#startWorker();
    this.#wake();
  }

  #startWorker(): void {
    if (this.#queue.length > 0)
      this.#worker ??= this.#work()
        .catch((e: unknown) =>
          this.#deps.log.error('partition worker failed; what it held comes again', {
            handler: this.#label,
            partition: this.#deps.partition,
            error: (e as Error).message,
          }),
        )
        .finally(() => (this.#worker = undefined));
  }

  /** Events of other partitions (and ones for no handler) are acknowledged here; ours queue in order. */
  #accept(m: JsMsg): void | Promise<void> {
    if (m.redelivered) this.#deps.stats.redelivered++;
    if (isPageSubject(m.subject)) return this.#acceptPage(m);
    const r = readMessage(m, this.#label, this.durable, this.#deps.limits);
    if (r.type === 'skip') return void m.ack();
    const { key, partition, partitions } = this.#deps;
    const bucket = subjectBucket(m.subject, key);
    if (r.type === 'invalid') return this.#refuse(m, bucket, undefined, r.error);
    // A keyed subject whose bucket is not the event's (sent around subjectFor): read by the wrong partition, refused.
    if (bucket !== undefined && bucket !== bucketOf(r.event, key))
      return this.#refuse(
        m,
        bucket,
        r.event,
        `its subject ${m.subject} names ${key} bucket ${bucket}, the event's is ${bucketOf(r.event, key)}`,
      );
    if (partitionOf(r.event, key, partitions) !== partition) return void m.ack();
    if (this.#deps.ledger.handled(m.seq)) {
      this.#deps.ledger.duplicatesSkipped++;
      return void m.ack();
    }
    this.#queue.push({ m, e: r.event });
  }

  /**
   * A page: this partition's events of it queue in order, with a shared count so the page is
   * acknowledged after the last; a page with none is acknowledged at once. Its events that are
   * no valid event are dead-lettered one by one by the partition the index names (partition 0
   * where the partition count does not divide SUBJECT_BUCKETS); a page that is none as a whole,
   * by partition 0.
   */
  async #acceptPage(m: JsMsg): Promise<void> {
    if (forAnother(m, this.#label, this.durable)) return void m.ack();
    if (this.#deps.ledger.handled(m.seq)) {
      this.#deps.ledger.duplicatesSkipped++;
      return void m.ack();
    }
    const { key, partition, partitions, handler, pages } = this.#deps;
    const k = PARTITION_KEYS.indexOf(key) + 1;
    const byIndex = SUBJECT_BUCKETS % partitions === 0;
    const r = readPageFor(pages.read(m.seq, m.data), {
      handler,
      ownsEntry: (entry) => (byIndex ? entry[k]! % partitions === partition : undefined),
      ownsEvent: (e) => partitionOf(e, key, partitions) === partition,
      ownsRefused: partition === 0,
    });
    if (r.type === 'invalid') return this.#refuse(m, undefined, undefined, r.error);
    for (const x of r.refused) {
      this.#deps.stats.rejected++;
      if (!(await writeDeadLetter(this.#deps, m, x.shown, x.reason, m.info.deliveryCount, x.index)))
        return void m.nak(DEAD_LETTER_RETRY_MS);
      this.#deps.stats.deadLettered++;
    }
    if (r.events.length === 0) return void m.ack();
    const page = { left: r.events.length };
    for (const p of r.events) this.#queue.push({ m, e: p.event, page, index: p.index });
  }

  /**
   * Dead-letters a refused message once for the handler: a keyed one in the partition of its
   * subject's bucket (the only one that reads it, unless every partition reads everything), a raw
   * one (every partition reads it) in partition 0; the others pass it by.
   */
  #refuse(m: JsMsg, bucket: number | undefined, e: EventEnvelope | undefined, error: string): void | Promise<void> {
    const { partition, partitions } = this.#deps;
    if ((bucket === undefined ? 0 : bucket % partitions) !== partition) return void m.ack();
    this.#deps.stats.rejected++;
    return deadLetter(this.#deps, m, e, error).then((written) => {
      if (written) this.#deps.stats.deadLettered++;
    });
  }

  async #work(): Promise<void> {
    while (this.#queue.length > 0 && !this.#abort.signal.aborted) {
      this.#inHand = this.#queue.splice(0, this.#batch);
      const started = performance.now();
      try {
        await deliverInOrder(this.#deps, this.#inHand, this.#abort.signal);
      } finally {
        this.#inHand = [];
      }
      const perEvent = (performance.now() - started) / this.#batch;
      this.#avgMs = this.#avgMs * 0.9 + Math.max(0.1, perEvent) * 0.1;
      this.#wake();
    }
  }
}
