import type { EventEnvelope } from '@insights/sdk';
import { AckPolicy, type ConsumerConfig, type JetStreamManager, type JsMsg } from 'nats';
import { deadLetter, deliverEvents, handlerLabel, readMessage, type DeliveryDeps } from './delivery.ts';
import { ensureDurable, startPolicy } from './durable.ts';
import { partitionOf, type PartitionKey } from './partition-key.ts';
import { pullLoop } from './pull-loop.ts';
import { filterSubjectFor, partitionDurableName } from './subjects.ts';

export interface PartitionStats {
  processed: number;
  deadLettered: number;
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
}

/** At most this many events fetched ahead; fewer when the handler is slow (all must finish within the ack wait). */
const MAX_AHEAD = 64;

interface Queued {
  readonly m: JsMsg;
  readonly e: EventEnvelope;
}
const NS = 1_000_000;

/**
 * Reads one partition of a partitioned handler, on the node that holds its lease. Events are
 * handled strictly one at a time in stream order and acknowledged after success; a failing event
 * is retried in place (later events of its key wait) and dead-lettered after `maxAttempts`.
 * Every partition's durable sees all of the handler's events (one filter subject per consumer on
 * NATS 2.9, and the subject carries no key), and passes by those of other partitions.
 */
export class PartitionConsumer {
  readonly durable: string;
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

  constructor(deps: PartitionConsumerDeps) {
    this.#deps = deps;
    this.durable = partitionDurableName(deps.handler.module, deps.handler.name, deps.partition);
    this.#label = handlerLabel(deps.handler);
    const mode = deps.handler.meta.mode as { type: string; maxEvents?: number } | undefined;
    this.#batch = mode?.type === 'batched' ? Math.max(1, mode.maxEvents ?? 1) : 1;
  }

  /** Creates the durable (all replicas do, for every partition, at start: its position starts with the handler). */
  async ensure(): Promise<void> {
    const { handler } = this.#deps;
    const config: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: filterSubjectFor(handler.types, handler.sources),
      ack_wait: this.#deps.ackWaitMs * NS,
      max_ack_pending: 1_000,
      description: `insights handler ${this.#label} partition ${this.#deps.partition}/${this.#deps.partitions}`,
      ...startPolicy(handler.meta.startFrom),
    };
    await ensureDurable(this.#deps.jsm, this.#deps.stream, config);
  }

  /**
   * Starts reading. After a takeover, events a previous owner held unacknowledged come back
   * only once their ack wait runs out; reading newer ones first would break the key's order, so
   * the first pull waits until none are held or that time has passed (then JetStream redelivers
   * them before anything newer).
   */
  start(takeover: boolean): void {
    this.#keepAlive = setInterval(
      () => {
        for (const q of this.#inHand) q.m.working();
        for (const q of this.#queue) q.m.working();
      },
      Math.max(300, Math.floor(this.#deps.ackWaitMs / 3)),
    );
    this.#loop = (async () => {
      if (takeover) await this.#waitForStrays();
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

  /** Hands the partition back in order: finishes the event in hand, returns the rest to the stream. */
  async release(): Promise<void> {
    this.#draining = true;
    this.#wake();
    await this.#worker;
    await this.#loop;
    await this.#worker;
    for (const q of this.#queue.splice(0)) q.m.nak();
    clearInterval(this.#keepAlive);
  }

  /** The lease is gone (or the node stops hard): stop at once; what we held comes back after the ack wait. */
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
    const ahead = Math.max(
      this.#batch,
      Math.min(Math.max(MAX_AHEAD, this.#batch), Math.floor(this.#deps.ackWaitMs / 3 / this.#avgMs)),
    );
    return ahead - this.#queue.length - this.#inHand.length;
  }

  #wake(): void {
    const freed = this.#roomFreed;
    this.#roomFreed = undefined;
    freed?.();
  }

  async #waitForStrays(): Promise<void> {
    const until = Date.now() + this.#deps.ackWaitMs + 500;
    while (!this.#abort.signal.aborted && Date.now() < until) {
      const info = await this.#deps.jsm.consumers.info(this.#deps.stream, this.durable);
      if (info.num_ack_pending === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Events of other partitions (and ones for no handler) are acknowledged here; ours queue in order. */
  #onMessage(m: JsMsg): void | Promise<void> {
    if (this.#draining) return void m.nak();
    if (m.redelivered) this.#deps.stats.redelivered++;
    const r = readMessage(m, this.#label);
    if (r.type === 'skip') return void m.ack();
    if (r.type === 'undecodable') {
      this.#deps.stats.deadLettered++;
      return deadLetter(this.#deps, m, undefined, r.error);
    }
    if (partitionOf(r.event, this.#deps.key, this.#deps.partitions) !== this.#deps.partition) return void m.ack();
    this.#queue.push({ m, e: r.event });
    this.#worker ??= this.#work().finally(() => (this.#worker = undefined));
  }

  async #work(): Promise<void> {
    while (this.#queue.length > 0) {
      if (this.#draining) {
        for (const q of this.#queue.splice(0)) q.m.nak();
        break;
      }
      this.#inHand = this.#queue.splice(0, this.#batch);
      const started = performance.now();
      try {
        await this.#handle(this.#inHand);
      } finally {
        this.#inHand = [];
      }
      const perEvent = (performance.now() - started) / this.#batch;
      this.#avgMs = this.#avgMs * 0.9 + Math.max(0.1, perEvent) * 0.1;
      this.#wake();
    }
  }

  /** Delivers a run of consecutive events; if it fails, each again in order, retried in place. */
  async #handle(run: readonly Queued[]): Promise<void> {
    const { stats } = this.#deps;
    if (run.length > 1) {
      try {
        await deliverEvents(
          this.#deps,
          run.map((q) => q.e),
          this.#abort.signal,
          run.map((q) => q.m),
        );
        for (const q of run) q.m.ack();
        stats.processed += run.length;
        return;
      } catch {
        if (this.#abort.signal.aborted) return;
      }
    }
    for (const q of run) if (!(await this.#handleOne(q))) return;
  }

  /** False when the reader was aborted: the event stays unacknowledged for the next owner. */
  async #handleOne({ m, e }: Queued): Promise<boolean> {
    const { stats } = this.#deps;
    // Attempts made by a previous owner count too.
    for (let attempt = m.info.redeliveryCount; ; attempt++) {
      try {
        await deliverEvents(this.#deps, [e], this.#abort.signal, [m]);
        m.ack();
        stats.processed++;
        return true;
      } catch (err) {
        if (this.#abort.signal.aborted) return false;
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= this.#deps.maxAttempts) {
          await deadLetter(this.#deps, m, e, message, attempt);
          stats.deadLettered++;
          return true;
        }
        const delay = Math.min(30_000, 200 * 2 ** (attempt - 1));
        this.#deps.log.warn('event handler failed; retrying in place to keep the order of its key', {
          handler: this.#label,
          partition: this.#deps.partition,
          event: e.id,
          attempt,
          retryInMs: delay,
          error: message,
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
