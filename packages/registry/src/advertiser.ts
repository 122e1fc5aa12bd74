import type { KV, NatsConnection } from 'nats';
import {
  AD_REFRESH_MS,
  adKey,
  assertNodeId,
  DEFAULT_TTL_MS,
  heartbeatKey,
  type Advertisement,
  type NodeState,
  type NodeView,
} from './advertisement.ts';
import { openRegistryBucket, type BucketOptions } from './bucket.ts';

export interface AdvertiserOptions extends BucketOptions {
  ttlMs?: number;
  /** Reports failures to write (NATS down); the advertiser keeps trying on its own. */
  onError?: (error: Error) => void;
}

/**
 * Keeps one node's entry in the registry: writes the advertisement when it changes (and every
 * AD_REFRESH_MS), a small heartbeat every ttl/3, re-writes both after NATS reconnects, and
 * deletes both on withdraw so watchers drop the node at once.
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
        const now = Date.now();
        if (this.#adDirty || now - this.#lastAdWrite > AD_REFRESH_MS) {
          const ad: Advertisement = { ...this.#view, v: 1, ttlMs: this.#ttlMs, updatedAt: new Date(now).toISOString() };
          await kv.put(adKey(this.#view.id), JSON.stringify(ad));
          this.#adDirty = false;
          this.#lastAdWrite = now;
        }
        await kv.put(
          heartbeatKey(this.#view.id),
          JSON.stringify({ v: 1, ttlMs: this.#ttlMs, state: this.#view.state, seq: this.#seq++ }),
        );
      } catch (e) {
        this.#adDirty = true; // write everything again once NATS answers
        // No responders: no stream takes the bucket's subjects (a server restarted without its
        // storage). Open it again, which creates it. A timeout keeps the handle (see #watchReconnects).
        if ((e as { code?: string }).code === '503') this.#kv = undefined;
        this.#options.onError?.(e as Error);
      }
    });
    return this.#writing;
  }

  async #bucket(): Promise<KV> {
    // A heartbeat lost with a dying NATS server must not hold the next ones back for the default
    // 5 s: give up on it after a beat interval and write the next one.
    this.#kv ??= await openRegistryBucket(this.#nc, { timeoutMs: Math.max(500, Math.floor(this.#ttlMs / 3)), ...this.#options });
    return this.#kv;
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
