import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import type { KV, KvEntry } from '@nats-io/kv';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  AD_REFRESH_MS,
  AD_TTL_MS,
  adKey,
  assertNodeId,
  DEFAULT_BUCKET,
  DEFAULT_TTL_MS,
  heartbeatKey,
  type Advertisement,
  type NodeState,
  type NodeView,
} from './advertisement.ts';
import { signAdvertisement, signHeartbeat, type NodeIdentity } from './advertisement-trust.ts';
import { openRegistryBucket, type BucketOptions } from './bucket.ts';
import { isMessageTtlDisabled, isNoResponders } from './nats-errors.ts';
import { enableServerExpiry, putExpiring, type ServerExpiry } from './server-expiry.ts';

export interface AdvertiserOptions extends BucketOptions {
  ttlMs?: number;
  /** Reports failures to write (NATS down); the advertiser keeps trying on its own. */
  onError?: (error: Error) => void;
  /** Signs every advertisement with the node's key and names its certificate. */
  identity?: NodeIdentity;
  /** Called when someone else deleted or changed one of this node's entries (it is rewritten at once). */
  onTampered?: (key: string, operation: string) => void;
  /**
   * Called when the server removed one of this node's entries because it was not renewed within
   * its TTL (the process stalled, or NATS was out of reach): it is rewritten at once.
   */
  onExpired?: (key: string) => void;
  /**
   * Write entries with a server-side TTL where the server and the bucket allow it (default; see
   * server-expiry.ts). False: without, as versions before did (benchmarks compare the two).
   */
  serverTtl?: boolean;
  /** Told once why the server cannot expire this node's entries: watchers then time its heartbeat themselves. */
  onServerTtlUnavailable?: (reason: string) => void;
  /**
   * Watch its own two keys itself (default). False when a watch the process already runs hands
   * them to `observe` instead (one watch per node process, see NodeRegistryWatch).
   */
  ownWatch?: boolean;
}

/**
 * Keeps one node's entry in the registry: writes the advertisement when it changes (and every
 * AD_REFRESH_MS), a small heartbeat every ttl/3, re-writes both after NATS reconnects, and
 * deletes both on withdraw so watchers drop the node at once. It watches its own two keys and
 * rewrites them at once when anyone else deletes or changes them (a client must not lose a
 * serving node, or be pointed elsewhere, until the next refresh).
 *
 * Where the server allows (nats-server 2.11+), the heartbeat carries a TTL of the node's ttl and
 * the advertisement one of AD_TTL_MS: if the node dies, the server removes them and every watch
 * receives the removal. Its own heartbeat expiring (a stall longer than the TTL) is no conflict:
 * the removal reaches its own watch like any other and it beats again at once.
 */
export class Advertiser {
  readonly #nc: NatsConnection;
  readonly #ttlMs: number;
  readonly #options: AdvertiserOptions;
  #kv: KV | undefined;
  #view: NodeView;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastAdWrite = 0;
  #adDirty = true;
  #stopped = false;
  #writing: Promise<void> = Promise.resolve();
  /** Per key: the value being written now, the last one written with its revision (see #isOwn), when and with what TTL. */
  readonly #written = new Map<
    string,
    { pending?: string; last?: string; revision: number; writtenAt?: number; ttlMs?: number | undefined }
  >();
  #watch: QueuedIterator<KvEntry> | undefined;
  #js: JetStreamClient | undefined;
  /** What the bucket allows, found out with each opening of the bucket. */
  #expiry: ServerExpiry | undefined;
  #toldNoServerTtl = false;

  constructor(nc: NatsConnection, view: NodeView, options: AdvertiserOptions = {}) {
    assertNodeId(view.id);
    this.#nc = nc;
    this.#view = view;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#options = options;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), Math.max(100, Math.floor(this.#ttlMs / 3)));
    this.#timer.unref();
    void this.#watchReconnects();
    if (this.#options.ownWatch !== false) void this.#guardEntries();
  }

  /**
   * An entry of the registry seen by a watch: one of this node's keys that someone else deleted
   * or changed is rewritten at once; anything else is ignored.
   */
  observe(e: KvEntry): void {
    if (this.#stopped) return;
    const ad = adKey(this.#view.id);
    if (e.key !== ad && e.key !== heartbeatKey(this.#view.id)) return;
    if (this.#isOwn(e)) return;
    if (this.#expired(e)) this.#options.onExpired?.(e.key);
    else this.#options.onTampered?.(e.key, e.operation);
    if (e.key === ad) this.#adDirty = true;
    void this.#beat();
  }

  /** Publishes a changed view (module loaded, state changed, ...). */
  update(view: NodeView): Promise<void> {
    this.#view = view;
    this.#adDirty = true;
    return this.#beat();
  }

  setState(state: NodeState): Promise<void> {
    return this.update({ ...this.#view, state });
  }

  /** Removes this node from the registry now (clean shutdown). */
  async withdraw(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#watch?.stop();
    await this.#writing.catch(() => {});
    try {
      const kv = await this.#bucket();
      await kv.delete(heartbeatKey(this.#view.id));
      await kv.delete(adKey(this.#view.id));
    } catch (e) {
      this.#options.onError?.(e as Error);
    }
  }

  #beat(): Promise<void> {
    if (this.#stopped) return this.#writing;
    this.#writing = this.#writing.then(async () => {
      if (this.#stopped) return;
      try {
        const kv = await this.#bucket();
        const expiring = this.#expiry?.on === true;
        const now = Date.now();
        if (this.#adDirty || now - this.#lastAdWrite > AD_REFRESH_MS) {
          const ad: Advertisement = { ...this.#view, v: 1, ttlMs: this.#ttlMs, updatedAt: new Date(now).toISOString() };
          await this.#put(
            kv,
            adKey(this.#view.id),
            JSON.stringify(this.#options.identity ? signAdvertisement(ad, this.#options.identity) : ad),
            expiring ? AD_TTL_MS : undefined,
          );
          this.#adDirty = false;
          this.#lastAdWrite = now;
        }
        await this.#put(
          kv,
          heartbeatKey(this.#view.id),
          JSON.stringify(
            signHeartbeat(
              this.#view.id,
              {
                v: 1,
                ttlMs: this.#ttlMs,
                state: this.#view.state,
                seq: this.#seq++,
                ...(expiring ? { serverTtl: true } : {}),
              },
              this.#options.identity,
            ),
          ),
          expiring ? this.#ttlMs : undefined,
        );
      } catch (e) {
        this.#adDirty = true; // write everything again once NATS answers
        // No responders: no stream takes the bucket's subjects (a server restarted without its
        // storage). TTL refused: the bucket lost its settings (recreated by an older version).
        // Open it again, which creates or checks it. A timeout keeps the handle (see #watchReconnects).
        if (isNoResponders(e) || isMessageTtlDisabled(e)) this.#kv = undefined;
        this.#options.onError?.(e as Error);
      }
    });
    return this.#writing;
  }

  async #put(kv: KV, key: string, value: string, ttlMs: number | undefined): Promise<void> {
    const w = this.#written.get(key) ?? { revision: 0 };
    this.#written.set(key, w);
    w.pending = value;
    try {
      const revision =
        ttlMs === undefined || this.#js === undefined
          ? await kv.put(key, value)
          : await putExpiring(this.#js, this.#options.bucket ?? DEFAULT_BUCKET, key, value, ttlMs);
      w.last = value;
      w.revision = revision; // writes are serialised by #beat; a bucket recreated empty starts over
      w.writtenAt = Date.now();
      w.ttlMs = ttlMs;
    } finally {
      w.pending = undefined;
    }
  }

  /**
   * An entry this advertiser wrote (being written, or the last one) or an older one delivered
   * late; anything else (a delete, another value at a newer revision) came from someone else.
   */
  #isOwn(e: KvEntry): boolean {
    const w = this.#written.get(e.key);
    if (w === undefined) return e.operation === 'PUT'; // nothing written yet: the first beat is on its way
    if (e.revision < w.revision) return true; // older than our last write: already overwritten
    if (e.operation !== 'PUT') return false;
    const value = e.string();
    return value === w.pending || value === w.last;
  }

  /**
   * The server's removal of an entry this node let expire: a purge of a key last written with a
   * TTL, at least half of it ago (a purge right after a write is someone else's). Either way the
   * entry is written again at once; this only tells an expiry from tampering in the log.
   */
  #expired(e: KvEntry): boolean {
    const w = this.#written.get(e.key);
    if (e.operation !== 'PURGE' || w?.ttlMs === undefined || w.writtenAt === undefined) return false;
    return Date.now() - w.writtenAt >= w.ttlMs / 2;
  }

  /** Follows this node's two keys and rewrites them as soon as someone else deletes or changes them. */
  async #guardEntries(): Promise<void> {
    while (!this.#stopped) {
      try {
        const kv = await this.#bucket();
        const watch = await kv.watch({ key: `*.${this.#view.id}` });
        this.#watch = watch;
        if (this.#stopped) return watch.stop();
        for await (const e of watch) {
          if (this.#stopped) return;
          this.observe(e);
        }
      } catch (e) {
        this.#options.onError?.(e as Error);
      }
      // The watch ended (NATS lost its consumer, a reconnect): watch again after a pause.
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 500));
    }
  }

  async #bucket(): Promise<KV> {
    if (this.#kv !== undefined) return this.#kv;
    // A heartbeat lost with a dying NATS server must not hold the next ones back for the default
    // 5 s: give up on it after a beat interval and write the next one.
    const options = { timeoutMs: Math.max(500, Math.floor(this.#ttlMs / 3)), ...this.#options };
    const kv = await openRegistryBucket(this.#nc, options);
    this.#js = jetstream(this.#nc, { timeout: options.timeoutMs });
    this.#expiry = this.#options.serverTtl === false ? undefined : await enableServerExpiry(this.#nc, this.#js, kv);
    if (this.#expiry?.on === false && !this.#toldNoServerTtl) {
      this.#toldNoServerTtl = true;
      this.#options.onServerTtlUnavailable?.(this.#expiry.reason);
    }
    this.#kv = kv;
    return kv;
  }

  async #watchReconnects(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (this.#stopped) return;
      if (s.type === 'reconnect') {
        // Re-write at once, with the same handle: opening the bucket again is a JetStream API
        // request, which times out while the cluster elects a new meta leader (the server we lost
        // may have been it), whereas writes reach the bucket's own stream leader. Seen: a
        // reconnected node kept failing for 8 s and dropped out of every client's view.
        this.#adDirty = true;
        void this.#beat();
      }
    }
  }
}
