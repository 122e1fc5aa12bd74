import type { JetStreamManager } from '@nats-io/jetstream';
import { AckLedger } from './ack-ledger.ts';
import type { DeliveryDeps } from './delivery.ts';
import type { HandlerWorker } from './handler-consumer.ts';
import type { LeaseBucket } from './leases.ts';
import { DEFAULT_PARTITIONS, SUBJECT_BUCKETS, type PartitionKey } from './partition-key.ts';
import { PartitionConsumer, type PartitionStats } from './partition-consumer.ts';
import { unpartitionedPosition } from './partition-migration.ts';
import { partitionDurableName, token } from './subjects.ts';

/** KV bucket of partition leases and of the marks that say which replicas of a handler are alive. */
export const PARTITION_LEASE_BUCKET = 'insights-partitions';

export interface PartitionedHandlerDeps extends DeliveryDeps {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly nodeId: string;
  readonly leases: LeaseBucket;
  readonly defaultMaxAttempts: number;
  readonly ackWaitMs: number;
  /** Sends what is buffered on the NATS connection (naks before a lease is given up). */
  readonly flush: () => Promise<void>;
}

interface Held {
  revision: number;
  readonly reader: PartitionConsumer;
  releasing: boolean;
}

/**
 * A handler with `partitionBy` on this node: its events are split into a fixed number of
 * partitions by key, each with its own durable consumer shared by all replicas. A replica reads
 * the partitions whose leases it holds; it takes at most its share (partitions / live replicas,
 * rounded up), gives back what exceeds it when replicas join, and takes over expired leases when
 * one dies. Only the lease holder reads a partition, one event at a time, so a key's events are
 * handled in order by one replica at a time. Nodes publish events with their keys' buckets in the
 * subject, so each durable receives only its partition's events: one read per event, not one
 * per partition (partition-consumer.ts).
 */
export class PartitionedHandler implements HandlerWorker {
  readonly #deps: PartitionedHandlerDeps;
  readonly #key: PartitionKey;
  readonly #partitions: number;
  readonly #newReader: (partition: number) => PartitionConsumer;
  readonly #held = new Map<number, Held>();
  readonly #stats: PartitionStats = { processed: 0, deadLettered: 0, rejected: 0, redelivered: 0 };
  /**
   * One per partition: a page is read by every partition, so a sequence one partition handled
   * says nothing of the others' events in it.
   */
  readonly #ledgers: AckLedger[];
  readonly #base: string;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: PartitionedHandlerDeps) {
    this.#deps = deps;
    const meta = deps.handler.meta;
    this.#key = meta.partitionBy as PartitionKey;
    this.#partitions = (meta.partitions as number | undefined) ?? DEFAULT_PARTITIONS;
    this.#base = `${token(deps.handler.module)}.${token(deps.handler.name)}`;
    const pullExpiresMs = Math.max(1_000, Math.min(2_000, Math.floor(deps.leases.ttlMs / 2)));
    // A reader serves one stretch of ownership; taking the partition again starts a fresh one.
    this.#newReader = (partition) =>
      new PartitionConsumer({
        ...deps,
        key: this.#key,
        partitions: this.#partitions,
        partition,
        maxAttempts: (meta.maxAttempts as number | undefined) ?? deps.defaultMaxAttempts,
        pullExpiresMs,
        stats: this.#stats,
        ledger: this.#ledgers[partition]!,
      });
    const durable = (p: number) => partitionDurableName(deps.handler.module, deps.handler.name, p);
    this.durables = Array.from({ length: this.#partitions }, (_, p) => durable(p));
    this.#ledgers = this.durables.map((d) => new AckLedger(deps.jsm, deps.stream, () => [d]));
  }

  readonly durables: readonly string[];
  get name(): string {
    return `${this.durables[0]?.replace(/_p0$/, '')}_p*`;
  }
  get processed(): number {
    return this.#stats.processed;
  }
  get deadLettered(): number {
    return this.#stats.deadLettered;
  }
  get rejected(): number {
    return this.#stats.rejected;
  }
  get redelivered(): number {
    return this.#stats.redelivered;
  }
  get duplicatesSkipped(): number {
    return this.#ledgers.reduce((n, l) => n + l.duplicatesSkipped, 0);
  }

  /** Partitions this replica reads now. */
  owned(): number[] {
    return [...this.#held.entries()].filter(([, h]) => !h.releasing).map(([p]) => p);
  }

  async start(): Promise<void> {
    const { jsm, stream, handler, nodeId } = this.#deps;
    const before = await unpartitionedPosition(jsm, stream, handler.module, handler.name, nodeId);
    if (!this.#newReader(0).selective)
      this.#deps.log.warn('every partition of this handler reads all its events: the server cannot filter them by key', {
        handler: `${handler.module}.${handler.name}`,
        partitions: this.#partitions,
        fix: `a partition count dividing ${SUBJECT_BUCKETS}, and sources named in the filter when it takes every type`,
      });
    for (let p = 0; p < this.#partitions; p++) await this.#newReader(p).ensure(before.startSeq);
    await before.retire();
    const every = Math.max(200, Math.floor(this.#deps.leases.ttlMs / 3));
    this.#timer = setInterval(() => void this.#balance(), every);
    await this.#balance();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#tick;
    // A clean stop hands every partition over at once instead of after the lease runs out; the
    // timer keeps renewing the leases meanwhile, so nobody reads a partition before we let go.
    await Promise.all([...this.#held.keys()].map((p) => this.#release(p)));
    clearInterval(this.#timer);
    await this.#tick;
    await this.#deps.leases.kv.delete(this.#memberKey()).catch(() => {});
    for (const l of this.#ledgers) l.stop();
  }

  #memberKey(): string {
    return `m.${this.#base}.${token(this.#deps.nodeId)}`;
  }

  #leaseKey(p: number): string {
    return `p.${this.#base}.${p}`;
  }

  #balance(): Promise<void> {
    if (this.#tick !== undefined) return this.#tick;
    this.#tick = this.#rebalance()
      .catch((e: unknown) =>
        this.#deps.log.warn('partition leases could not be renewed; retrying', {
          handler: `${this.#deps.handler.module}.${this.#deps.handler.name}`,
          error: (e as Error).message,
        }),
      )
      .finally(() => (this.#tick = undefined));
    return this.#tick;
  }

  async #rebalance(): Promise<void> {
    const { leases, nodeId, log } = this.#deps;
    // Renew first: a lease kept is worth more than a replica count read a moment late.
    for (const [p, h] of this.#held) {
      const revision = await leases.renew(this.#leaseKey(p), nodeId, h.revision);
      if (revision !== undefined) {
        h.revision = revision;
        continue;
      }
      log.warn('lost a partition lease (expired and taken by another replica); stopping its reader', {
        handler: `${this.#deps.handler.module}.${this.#deps.handler.name}`,
        partition: p,
      });
      this.#held.delete(p);
      await h.reader.abort();
    }
    if (this.#stopped) return;
    await leases.mark(this.#memberKey(), nodeId);
    const replicas = Math.max(1, (await leases.keys(`m.${this.#base}`)).length);
    const share = Math.ceil(this.#partitions / replicas);
    const owned = this.owned();
    for (const p of owned.slice(share))
      this.#release(p).catch((e: unknown) =>
        log.warn('giving a partition back failed; its lease runs out instead', {
          handler: `${this.#deps.handler.module}.${this.#deps.handler.name}`,
          partition: p,
          error: (e as Error).message,
        }),
      );
    let count = Math.min(owned.length, share);
    // Start from a different partition on each node, so replicas rarely race for the same one.
    const offset = hashOf(nodeId);
    for (let i = 0; i < this.#partitions && count < share; i++) {
      const p = (offset + i) % this.#partitions;
      if (this.#held.has(p)) continue;
      const revision = await leases.claim(this.#leaseKey(p), nodeId);
      if (revision === undefined) continue;
      const reader = this.#newReader(p);
      this.#held.set(p, { revision, reader, releasing: false });
      reader.start(true);
      count++;
      log.info('took a partition', { handler: `${this.#deps.handler.module}.${this.#deps.handler.name}`, partition: p });
    }
  }

  async #release(p: number): Promise<void> {
    const h = this.#held.get(p);
    if (h === undefined || h.releasing) return;
    // Still renewed while it drains (it stays in #held), so nobody else reads it meanwhile.
    h.releasing = true;
    await h.reader.release();
    await this.#deps.flush();
    this.#held.delete(p);
    await this.#deps.leases.release(this.#leaseKey(p), h.revision);
    this.#deps.log.info('gave a partition back', {
      handler: `${this.#deps.handler.module}.${this.#deps.handler.name}`,
      partition: p,
    });
  }
}

function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}
