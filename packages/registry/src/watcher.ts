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
 */
export class RegistryWatcher {
  #entries = new Map<string, Entry>();
  #iterator: QueuedIterator<KvEntry> | undefined;
  #generation = 0;
  #lastSignature = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: WatcherOptions,
  ) {}

  static async start(nc: NatsConnection, options: WatcherOptions = {}): Promise<RegistryWatcher> {
    const w = new RegistryWatcher(nc, options);
    await w.#watch();
    w.#timer = setInterval(() => w.#emitIfChanged(), options.expiryCheckMs ?? 250);
    w.#timer.unref();
    void w.#followReconnects();
    return w;
  }

  /** Live nodes now. */
  nodes(): NodeView[] {
    const now = Date.now();
    const out: NodeView[] = [];
    for (const e of this.#entries.values())
      if (e.ad !== undefined && now - e.lastBeat <= e.ttlMs) {
        const { v: _v, ttlMs: _t, updatedAt: _u, ...view } = e.ad;
        out.push(view);
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
      for await (const e of iterator) {
        if (generation !== this.#generation) return;
        this.#apply(initialised ? this.#entries : fresh, e, !initialised);
        if (initialised) this.#emitIfChanged();
      }
    })();
    await ready;
    if (generation !== this.#generation) return;
    this.#entries = fresh;
    this.#emitIfChanged();
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
        return this.options.onInvalid?.(e.key, ad.success ? `id "${ad.data.id}" does not match its key` : ad.error.issues[0]?.message ?? 'invalid');
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
      if (s.type === 'reconnect') {
        for (let attempt = 0; !this.#closed; attempt++) {
          try {
            await this.#watch();
            break;
          } catch {
            await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
          }
        }
      }
    }
  }
}
