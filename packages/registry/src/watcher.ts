import type { KvEntry, NatsConnection, QueuedIterator } from 'nats';
import { advertisementSchema, heartbeatSchema, type Advertisement, type NodeView } from './advertisement.ts';
import { openRegistryBucket, type BucketOptions } from './bucket.ts';

export interface WatcherOptions extends BucketOptions {
  /** Called with the live nodes whenever the set or any node's advertisement changes. */
  onChange?: (nodes: NodeView[]) => void;
  /** A registry entry that is not a valid advertisement: ignored, reported here. */
  onInvalid?: (key: string, reason: string) => void;
  /** How often to check for nodes whose heartbeat stopped, ms. */
  expiryCheckMs?: number;
}

interface Entry {
  ad?: Advertisement;
  /** Local clock of the last heartbeat, ms. */
  lastBeat: number;
  ttlMs: number;
}

/**
 * Follows the registry bucket: last values first, then every change, so a client learns of
 * joins, leaves and changes without polling any node. A node is live while its heartbeat is
 * younger than its TTL; a withdrawn node disappears at once. After a NATS reconnect the watch is
 * rebuilt from the bucket and swapped in whole, so clients never see a spurious empty mesh.
 *
 * A watch can also go quiet without a reconnect: a NATS server of the cluster dies and takes the
 * watch's consumer or the bucket's leader with it. Nodes heartbeat every TTL/3, so silence
 * longer than a TTL means the watch, not the mesh, is suspect: the watcher then rebuilds the
 * watch, and until it hears from the bucket again it stops the clock for expiry (nodes are not
 * dropped for heartbeats it could not see). The rebuilt snapshot carries the server's write
 * times, so a node that really died expires as soon as the watch is back.
 */
export class RegistryWatcher {
  #entries = new Map<string, Entry>();
  #iterator: QueuedIterator<KvEntry> | undefined;
  #generation = 0;
  #lastSignature = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Local time of the last entry the watch delivered (or of its last rebuild). */
  #lastEvent = Date.now();
  #rewatching = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: WatcherOptions,
  ) {}

  static async start(nc: NatsConnection, options: WatcherOptions = {}): Promise<RegistryWatcher> {
    const w = new RegistryWatcher(nc, options);
    await w.#watch();
    w.#timer = setInterval(() => {
      w.#checkQuiet();
      w.#emitIfChanged();
    }, options.expiryCheckMs ?? 250);
    w.#timer.unref();
    void w.#followReconnects();
    return w;
  }

  /** Live nodes now. */
  nodes(): NodeView[] {
    const wall = Date.now();
    const out: NodeView[] = [];
    for (const e of this.#entries.values()) {
      // While the watch is silent, time stands still at its last word (plus one TTL of grace).
      const now = Math.min(wall, this.#lastEvent + e.ttlMs);
      if (e.ad !== undefined && now - e.lastBeat <= e.ttlMs) {
        const { v: _v, ttlMs: _t, updatedAt: _u, ...view } = e.ad;
        out.push(view);
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#iterator?.stop();
  }

  async #watch(): Promise<void> {
    const generation = ++this.#generation;
    const kv = await openRegistryBucket(this.nc, this.options);
    const fresh = new Map<string, Entry>();
    let initialised = false;
    let markInitialised!: () => void;
    const ready = new Promise<void>((resolve) => (markInitialised = resolve));
    const iterator = await kv.watch({
      key: '>',
      initializedFn: () => {
        initialised = true;
        markInitialised();
      },
    });
    this.#iterator?.stop();
    this.#iterator = iterator;
    void (async () => {
      try {
        for await (const e of iterator) {
          if (generation !== this.#generation) return;
          this.#lastEvent = Date.now();
          this.#apply(initialised ? this.#entries : fresh, e, !initialised);
          if (initialised) this.#emitIfChanged();
        }
      } catch {
        // the consumer could not be recreated (no bucket leader yet): rebuilt below
      }
      // The watch ended without close(): a NATS server took its consumer along. Watch again.
      if (generation === this.#generation && !this.#closed) void this.#rewatch();
    })();
    await ready;
    if (generation !== this.#generation) return;
    this.#lastEvent = Date.now();
    this.#entries = fresh;
    this.#emitIfChanged();
  }

  /** Silence longer than the longest TTL: the watch is suspect, rebuild it. */
  #checkQuiet(): void {
    if (this.#closed || this.#rewatching || this.#entries.size === 0) return;
    let ttl = 0;
    for (const e of this.#entries.values()) ttl = Math.max(ttl, e.ttlMs);
    if (Date.now() - this.#lastEvent > ttl) void this.#rewatch();
  }

  async #rewatch(): Promise<void> {
    if (this.#rewatching) return;
    this.#rewatching = true;
    try {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#watch();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
    } finally {
      this.#rewatching = false;
    }
  }

  #apply(entries: Map<string, Entry>, e: KvEntry, initial: boolean): void {
    const dot = e.key.indexOf('.');
    const kind = e.key.slice(0, dot);
    const id = e.key.slice(dot + 1);
    if (e.operation !== 'PUT') {
      entries.delete(id);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(e.string());
    } catch {
      return this.options.onInvalid?.(e.key, 'not JSON');
    }
    const entry = entries.get(id) ?? { lastBeat: 0, ttlMs: 0 };
    if (kind === 'node') {
      const ad = advertisementSchema.safeParse(json);
      if (!ad.success || ad.data.id !== id)
        return this.options.onInvalid?.(
          e.key,
          ad.success ? `id "${ad.data.id}" does not match its key` : (ad.error.issues[0]?.message ?? 'invalid'),
        );
      entry.ad = ad.data;
      entry.ttlMs = ad.data.ttlMs;
    } else if (kind === 'alive') {
      const hb = heartbeatSchema.safeParse(json);
      if (!hb.success) return this.options.onInvalid?.(e.key, hb.error.issues[0]?.message ?? 'invalid heartbeat');
      // Initial values carry the server's write time; later beats are timed on arrival.
      entry.lastBeat = initial ? e.created.getTime() : Date.now();
      entry.ttlMs = hb.data.ttlMs;
      if (entry.ad !== undefined && entry.ad.state !== hb.data.state) entry.ad = { ...entry.ad, state: hb.data.state };
    } else {
      return this.options.onInvalid?.(e.key, 'unknown key kind');
    }
    entries.set(id, entry);
  }

  #emitIfChanged(): void {
    if (this.#closed) return;
    const nodes = this.nodes();
    const signature = JSON.stringify(nodes);
    if (signature === this.#lastSignature) return;
    this.#lastSignature = signature;
    this.options.onChange?.(nodes);
  }

  async #followReconnects(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.#closed) return;
      if (s.type === 'reconnect') await this.#rewatch();
    }
  }
}
