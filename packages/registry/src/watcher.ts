import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { adKey, heartbeatKey, type NodeView } from './advertisement.ts';
import type { AdvertisementTrust } from './advertisement-trust.ts';
import { openRegistryBucket, type BucketOptions } from './bucket.ts';
import { RegistryView, type RegistryRefusalListener } from './registry-view.ts';

export interface WatcherOptions extends BucketOptions {
  /** Called with the live nodes whenever the set or any node's advertisement changes. */
  onChange?: (nodes: NodeView[]) => void;
  /** A registry entry that is not a valid advertisement: ignored, reported here. */
  onInvalid?: RegistryRefusalListener;
  /** How often to check for nodes whose heartbeat stopped, ms. */
  expiryCheckMs?: number;
  /**
   * A watch failed (a JetStream cluster still electing its leaders answers nothing useful for
   * a while) and is tried again after `delayMs`; the watcher keeps trying until it is closed.
   */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  /** Take only advertisements signed by nodes the mesh vouches for (see AdvertisementTrust). */
  trust?: AdvertisementTrust;
  /**
   * A node's own id: the watch follows only that node's two keys until `widen()` (a node needs
   * the rest of the mesh only for some work, and every entry of a big mesh costs it a message).
   */
  ownId?: string;
  /** Every entry the current watch delivers (snapshot and live), before the view takes it. */
  onEntry?: (entry: KvWatchEntry) => void;
}

/** What a watch follows: one node's own keys, or the whole registry. */
export type WatchScope = 'own' | 'mesh';

/** A bucket that delivers nothing for this long is not going to: give up on it and watch again. */
const SNAPSHOT_TIMEOUT_MS = 30_000;

/** Neither of a node's keys was ever written (a delete marker counts as written: the watch delivers it). */
async function ownKeysAbsent(kv: KV, id: string): Promise<boolean> {
  const read = (key: string) =>
    kv.get(key).then(
      (e) => e === null,
      () => false,
    );
  const [ad, beat] = await Promise.all([read(adKey(id)), read(heartbeatKey(id))]);
  return ad && beat;
}

/** A bucket that has not answered a status request in this long has no leader to take writes either. */
const PROBE_TIMEOUT_MS = 1000;

const retryDelayMs = (attempt: number): number => Math.min(2000, 100 * 2 ** Math.min(attempt, 5));

export class WatchEndedError extends Error {
  constructor() {
    super('the registry watch ended before its snapshot was complete');
    this.name = 'WatchEndedError';
  }
}

/**
 * Follows the registry bucket: last values first, then every change, so a client learns of
 * joins, leaves and changes without polling any node. A node is live while its heartbeat is in
 * the bucket: where the server expires heartbeats (nats-server 2.11+, server-expiry.ts) its
 * removal marker drops the node, else (and as a fallback) the heartbeat's age against its TTL; a
 * withdrawn node disappears at once. After a NATS reconnect the watch is
 * rebuilt from the bucket and swapped in whole, so clients never see a spurious empty mesh.
 *
 * A watch can also go quiet without a reconnect: a NATS server of the cluster dies and takes the
 * watch's consumer or the bucket's leader with it. Nodes heartbeat every TTL/3, so silence
 * longer than a TTL means the watch, not the mesh, is suspect: the watcher then rebuilds the
 * watch. While nothing is heard, no node is dropped for heartbeats it could not see (see
 * RegistryView); the rebuilt snapshot carries the server's write times, so a node that really
 * died expires as soon as the watch is back.
 */
export class RegistryWatcher {
  #view: RegistryView;
  #iterator: QueuedIterator<KvWatchEntry> | undefined;
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #rewatching: Promise<void> | undefined;
  #emitQueued = false;
  /** The scope asked for, and the scope of the watch whose snapshot is in. */
  #wanted: WatchScope;
  #watched: WatchScope | undefined;
  #received = 0;
  /** The bucket of the current watch, asked when the registry goes quiet. */
  #kv: KV | undefined;
  #probing = false;
  #probedAt = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: WatcherOptions,
  ) {
    this.#view = new RegistryView(options.onInvalid, Date.now(), options.trust);
    this.#wanted = options.ownId === undefined ? 'mesh' : 'own';
  }

  /**
   * Resolves once the first snapshot is in. A failed first watch is retried until it works or the
   * connection closes: a watcher given up at startup would leave its client blind for good.
   */
  static async start(nc: NatsConnection, options: WatcherOptions = {}): Promise<RegistryWatcher> {
    const w = new RegistryWatcher(nc, options);
    await w.#watchUntilUp();
    w.#timer = setInterval(() => {
      w.#checkQuiet();
      w.#emit();
    }, options.expiryCheckMs ?? 250);
    w.#timer.unref();
    void w.#followReconnects();
    return w;
  }

  /** Live nodes now. */
  nodes(): NodeView[] {
    return this.#view.nodes();
  }

  /** True while node `id` is live in the view (cheap: no list built). */
  sees(id: string): boolean {
    return this.#view.isLive(id);
  }

  /** The scope of the watch in force (undefined before the first snapshot). */
  get scope(): WatchScope | undefined {
    return this.#watched;
  }

  /** Registry entries delivered to this watcher so far (snapshots included): what it costs the process. */
  get received(): number {
    return this.#received;
  }

  /** Follows the whole registry; resolves once its snapshot is in (at once if it already does). */
  widen(): Promise<void> {
    return this.#rescope('mesh');
  }

  /** Back to the node's own keys (with `ownId`): other nodes leave the view at once. */
  narrow(): Promise<void> {
    return this.#rescope(this.options.ownId === undefined ? 'mesh' : 'own');
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#iterator?.stop();
  }

  async #rescope(scope: WatchScope): Promise<void> {
    this.#wanted = scope;
    for (;;) {
      // A rewatch under way may be for the other scope (a narrowing as a call comes in): let it finish first.
      if (this.#rewatching !== undefined) await this.#rewatching;
      else if (this.#watched === this.#wanted) return;
      else if (this.#closed || this.nc.isClosed()) throw new WatchEndedError();
      else await this.#rewatch();
    }
  }

  async #watch(bucketWasDown: boolean): Promise<void> {
    const generation = ++this.#generation;
    const scope = this.#wanted;
    const kv = await openRegistryBucket(this.nc, this.options);
    this.#kv = kv;
    const fresh = new RegistryView(this.options.onInvalid, Date.now(), this.options.trust);
    let initialised = false;
    let settle!: (error?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => (settle = (e) => (e === undefined ? resolve() : reject(e))));
    const ownId = this.options.ownId;
    // Narrowed: the other nodes are no longer heard, so they are not carried over (see adopt).
    const keep = scope === 'own' && ownId !== undefined ? (id: string) => id === ownId : undefined;
    const initialise = () => {
      if (initialised || generation !== this.#generation) return;
      fresh.adopt(this.#view, bucketWasDown, Date.now(), keep);
      this.#view = fresh;
      this.#watched = scope;
      initialised = true;
      settle();
      // At once, not queued: whoever waited for this snapshot (widen) finds the list handed out.
      this.#emit();
    };
    // The snapshot ends at the first entry with nothing pending after it. A bucket empty once the
    // watch exists delivers no such entry: its snapshot is empty (later writes arrive as changes).
    const iterator = await kv.watch({ key: scope === 'own' && ownId !== undefined ? `*.${ownId}` : '>' });
    this.#iterator?.stop();
    this.#iterator = iterator;
    // A status that cannot be read leaves it to the entries (or to the snapshot timeout below).
    const nothingToRead =
      scope === 'own' && ownId !== undefined
        ? await ownKeysAbsent(kv, ownId)
        : await kv.status().then(
            (st) => st.values === 0,
            () => false,
          );
    if (iterator.getReceived() === 0 && nothingToRead) initialise();
    const timeout = setTimeout(() => {
      if (!initialised) iterator.stop();
    }, SNAPSHOT_TIMEOUT_MS);
    void (async () => {
      try {
        for await (const e of iterator) {
          if (generation !== this.#generation) return;
          this.#received++;
          this.options.onEntry?.(e);
          if (!initialised) {
            fresh.applySnapshot(e);
            if (e.delta === 0) initialise();
          } else {
            this.#view.applyLive(e);
            this.#queueEmit();
          }
        }
      } catch {
        // the consumer could not be recreated (no bucket leader yet): rebuilt below
      } finally {
        clearTimeout(timeout);
      }
      settle(new WatchEndedError()); // no-op once initialised
      // The watch ended without close(): a NATS server took its consumer along. Watch again.
      if (initialised && generation === this.#generation && !this.#closed) void this.#rewatch();
    })();
    await ready;
  }

  /**
   * Silence longer than the longest TTL (and the server's slack in marking an expiry): the watch
   * is suspect, rebuild it. Not sooner: in a quiet mesh the silence after a node died is followed
   * by the server's marker, which a watch rebuilt in between would read as mere absence.
   */
  #checkQuiet(): void {
    if (this.#closed || this.#rewatching !== undefined || this.#view.size === 0) return;
    const silentMs = Date.now() - this.#view.heardAt;
    if (silentMs > this.#view.maxLapseMs) void this.#rewatch();
    else {
      const beatGapMs = this.#view.beatGapMs;
      if (silentMs > beatGapMs) void this.#probe(beatGapMs);
    }
  }

  /**
   * Nobody has written for longer than any node's beat interval: either the nodes are gone (the
   * bucket answers) or the bucket has no leader (it does not). The view needs to know which to
   * judge the server's removal markers that follow (RegistryView.noteUnreachable).
   */
  async #probe(beatGapMs: number): Promise<void> {
    const kv = this.#kv;
    const view = this.#view;
    const silentSince = view.heardAt;
    if (kv === undefined || this.#probing || Date.now() - this.#probedAt < beatGapMs) return;
    this.#probing = true;
    this.#probedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      kv.status().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    this.#probing = false;
    // Heard meanwhile: that silence is over, and this answer is about it, not the next one.
    if (!answered && view === this.#view && view.heardAt === silentSince) view.noteUnreachable();
  }

  /** Watches again (in the scope wanted now); a rewatch under way is shared, not doubled. */
  #rewatch(): Promise<void> {
    this.#rewatching ??= this.#watchUntilUp()
      .catch(() => {}) // closed meanwhile
      .finally(() => {
        this.#rewatching = undefined;
        // The scope wanted changed while this watch was being built: build the right one.
        if (this.#closed || this.nc.isClosed() || this.#watched === undefined) return;
        if (this.#watched !== this.#wanted) void this.#rewatch();
      });
    return this.#rewatching;
  }

  /** Watches again until a snapshot is in; throws the last error once the watcher or its connection is closed. */
  async #watchUntilUp(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A bucket that refused us could not take the nodes' heartbeats either.
        return await this.#watch(attempt > 1);
      } catch (e) {
        if (this.#closed || this.nc.isClosed()) throw e;
        const delayMs = retryDelayMs(attempt);
        this.options.onRetry?.(e as Error, attempt, delayMs);
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** Many entries arrive in one read: one list for all of them. */
  #queueEmit(): void {
    if (this.#emitQueued) return;
    this.#emitQueued = true;
    setImmediate(() => {
      this.#emitQueued = false;
      this.#emit();
    });
  }

  #emit(): void {
    if (this.#closed) return;
    const nodes = this.#view.changed();
    if (nodes !== undefined) this.options.onChange?.(nodes);
  }

  async #followReconnects(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.#closed) return;
      if (s.type === 'reconnect') await this.#rewatch();
    }
  }
}
