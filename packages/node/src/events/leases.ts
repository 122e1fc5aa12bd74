import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureStreamReplicas, resolveReplicas } from '../replicas.ts';

/** The one token after a prefix that a lease or membership key ends with (a node id, a partition). */
const LEASE_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Leases in a NATS KV bucket. The bucket's max age is the lease lifetime: the server drops a
 * key that nobody rewrote within it, so a holder that dies (kill -9, lost network) loses its
 * leases without anyone trusting a clock. Holders keep a lease by rewriting it with the
 * revision they hold (compare-and-set), so two holders can never both renew one key.
 *
 * Scheduled jobs use `claim` alone (a key per tick, never renewed); partitioned handlers claim,
 * renew and release partitions.
 */
export class LeaseBucket {
  private constructor(
    readonly kv: KV,
    /** The lifetime the bucket actually has (its creator's choice, if that differs from ours). */
    readonly ttlMs: number,
  ) {}

  static async open(nc: NatsConnection, name: string, ttlMs: number, replicas?: number): Promise<LeaseBucket> {
    // Leases must outlive a lost NATS server, like the registry: same number of copies.
    const r = resolveReplicas(nc, replicas);
    const kv = await new Kvm(nc).create(name, { history: 1, ttl: ttlMs, replicas: r });
    await ensureStreamReplicas(await jetstreamManager(nc), `KV_${name}`, r);
    const status = await kv.status();
    return new LeaseBucket(kv, status.ttl > 0 ? status.ttl : ttlMs);
  }

  /** Takes `key` if nobody holds it: the revision to renew it with, or undefined. */
  claim(key: string, holder: string): Promise<number | undefined> {
    return this.kv.create(key, new TextEncoder().encode(holder)).then(
      (rev) => rev,
      () => undefined,
    );
  }

  /** Extends a held lease: the new revision, or undefined when it was lost (expired and taken, or deleted). */
  renew(key: string, holder: string, revision: number): Promise<number | undefined> {
    return this.kv.update(key, new TextEncoder().encode(holder), revision).then(
      (rev) => rev,
      () => undefined,
    );
  }

  /** Writes `key` whatever it held (membership marks: one writer per key). */
  async mark(key: string, holder: string): Promise<void> {
    await this.kv.put(key, new TextEncoder().encode(holder));
  }

  /** Gives a lease up at once, unless someone else holds it by now. */
  async release(key: string, revision: number): Promise<void> {
    await this.kv.delete(key, { previousSeq: revision }).catch(() => {});
  }

  /**
   * Live keys under `prefix` (expired and released ones are gone). Anyone able to write the bucket
   * can add keys: only `<prefix>.<one token>` counts, so a key of another shape cannot skew a count.
   */
  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(`${prefix}.>`)) if (LEASE_TOKEN.test(k.slice(prefix.length + 1))) out.push(k);
    return out;
  }
}
