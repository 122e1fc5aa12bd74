import { heartbeatRefusal, type AdvertisementTrust } from './advertisement-trust.ts';
import { advertisementSchema, heartbeatSchema, type NodeState, type NodeView } from './advertisement.ts';
import { screenRegistryEntry } from './entry-screen.ts';

/** What the view needs of a KV entry (a subset of nats' KvEntry, so the view is testable alone). */
export interface RegistryEntry {
  key: string;
  operation: string;
  created: Date;
  string(): string;
}

interface Node {
  /** The advertisement without its envelope (v, ttlMs, updatedAt), state from the latest heartbeat. */
  view?: NodeView;
  /** Canonical JSON of the advertised view: a re-written, unchanged advertisement is not a change. */
  adJson: string;
  state?: NodeState;
  /** Local clock of the last heartbeat (server write time for snapshot entries), ms. */
  lastBeat: number;
  ttlMs: number;
  /** Its last heartbeat carries a server-side TTL: the server's removal marker says when it is gone. */
  serverTtl: boolean;
  /** Bumped whenever what a client sees of this node changes. */
  version: number;
  /** Included in the list last handed to onChange. */
  shown: boolean;
  /** With trust: the node's stamp of the last heartbeat taken (a replay is not newer). */
  lastAt?: number;
  /** With trust: a heartbeat that came before the advertisement whose key checks it. */
  pendingBeat?: { key: string; json: unknown; beatAt: number } | undefined;
}

/** The advertiser's shortest beat interval: a shorter silence is never worth a pass over the nodes. */
const MIN_BEAT_MS = 100;
/** lastBeat of a node whose heartbeat was never seen or was deleted. */
const NO_BEAT = Number.NEGATIVE_INFINITY;
/** Advertisers beat every TTL/3: a longer silence from a working registry means something is wrong. */
const beatGap = (n: Node): number => Math.max(MIN_BEAT_MS, n.ttlMs / 3);
/**
 * How much later than its TTL the server's removal of a heartbeat may arrive: the server counts
 * whole seconds (a TTL is rounded up) and expires once a second or so. Past this, a missing
 * marker is the watcher's problem (a watch rebuilt after the marker itself expired), and the
 * watcher's own timer drops the node.
 */
export const SERVER_TTL_SLACK_MS = 2000;
/** How long after its last heartbeat a node is taken for gone without a word from the server. */
const lapse = (n: Node): number => (n.serverTtl ? n.ttlMs + SERVER_TTL_SLACK_MS : n.ttlMs);

/**
 * The registry's nodes as one watch sees them, and who is live. A node is live while it has an
 * advertisement and a heartbeat. A heartbeat the server expires (server-expiry.ts) lasts until
 * the server's removal marker arrives, with the watcher's timer as a fallback only; one without
 * (an older node, a server before 2.11) lasts its TTL by the watcher's clock. The per-entry work is constant:
 * at 1,000 nodes a watcher gets ~500 heartbeats a second, so nothing here may touch every node
 * per message (the full list is built only when something a client sees has changed).
 *
 * Time only counts while the registry is heard. When the watch goes silent (a NATS server lost,
 * a bucket leader being elected), no node can be heard and most cannot write: the clock stops
 * one beat interval after the last word, and when the registry is heard again the silence is
 * credited to every node not heard since, so a live node gets its next beat in before it expires.
 */
/** Why a registry entry was refused, as a bounded label (the message says more). */
export type RegistryRefusal = 'key' | 'limits' | 'json' | 'schema' | 'signature';

/** Told of each entry a view refuses: its key, the reason in words, and the reason's label. */
export type RegistryRefusalListener = (key: string, reason: string, refusal: RegistryRefusal) => void;

export class RegistryView {
  readonly #nodes = new Map<string, Node>();
  /** Ids withdrawn (delete markers) while this view was a snapshot being built. */
  readonly #deleted = new Set<string>();
  /** Local time of the last entry delivered (or of the snapshot swap), ms. */
  #heardAt: number;
  /** Something a client sees may have changed since the last list. */
  #dirty = true;
  #lastListKey = '';
  /** The heardAt of a silence during which the bucket did not answer (noteUnreachable), if any. */
  #unreachableIn: number | undefined;
  /** Local time a silence with the bucket unreachable ended (the registry was heard again), ms. */
  #outageEndedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly onInvalid: RegistryRefusalListener = () => {},
    now = Date.now(),
    /** With trust, only advertisements signed by a node the mesh vouches for are taken; others are ignored. */
    private readonly trust?: AdvertisementTrust,
  ) {
    this.#heardAt = now;
  }

  get heardAt(): number {
    return this.#heardAt;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /**
   * The longest a node may go unheard before it is dropped (its TTL, plus the slack for the
   * server's marker where the server expires it): a silence longer than this is the watch's.
   */
  get maxLapseMs(): number {
    let ms = 0;
    for (const n of this.#nodes.values()) ms = Math.max(ms, lapse(n));
    return ms;
  }

  /** The shortest beat interval of the nodes in view: a silence longer than this is worth a question. */
  get beatGapMs(): number {
    let ms = Infinity;
    for (const n of this.#nodes.values()) ms = Math.min(ms, beatGap(n));
    return ms;
  }

  /**
   * The watcher asked the bucket during the current silence and got no answer: its leader is
   * being elected (or its server is gone), so nobody could write either. The server's removal
   * markers that come out of such an outage say a node could not write, not that it died: they
   * are not believed for one TTL after the registry is heard again (see #withdraw).
   */
  noteUnreachable(): void {
    this.#unreachableIn = this.#heardAt;
  }

  /** A live change from the watch: heartbeats are timed on arrival. */
  applyLive(e: RegistryEntry, now = Date.now()): void {
    const silence = now - this.#heardAt;
    if (this.#unreachableIn === this.#heardAt) this.#outageEndedAt = now;
    this.#unreachableIn = undefined;
    this.#heardAt = now;
    if (silence > MIN_BEAT_MS) this.#credit(this.#heardAt - silence, silence);
    this.#apply(e, now);
  }

  /**
   * A snapshot entry (before the watch is initialised): timed by the server's write time. Only a
   * delete is a withdrawal: a purge is mostly the server's removal of an expired entry, and a
   * server that comes back after an outage longer than a TTL marks every heartbeat so before the
   * nodes have reconnected, so a rebuilt snapshot takes it as absence (see #carryOver).
   */
  applySnapshot(e: RegistryEntry): void {
    if (e.operation === 'DEL') this.#deleted.add(e.key.slice(e.key.indexOf('.') + 1));
    this.#apply(e, e.created.getTime());
  }

  /**
   * Takes over a rebuilt snapshot in place of this view. `previous` stopped hearing at its
   * heardAt; the registry is known to work again from the first write after that (or from now,
   * if the bucket refused to answer in between). Nodes not heard since are credited the silence.
   */
  adopt(
    previous: RegistryView,
    bucketWasDown: boolean,
    now = Date.now(),
    /** Which of the previous nodes the new watch still covers (all by default; a narrowed watch, its own). */
    keep: (id: string) => boolean = () => true,
  ): void {
    this.#carryOver(previous, now, keep);
    const silentFrom = previous.#heardAt;
    let firstWrite = Infinity;
    for (const n of this.#nodes.values()) if (n.lastBeat > silentFrom) firstWrite = Math.min(firstWrite, n.lastBeat);
    const workingFrom = firstWrite < Infinity ? firstWrite : bucketWasDown ? now : silentFrom;
    this.#credit(silentFrom, Math.max(0, workingFrom - silentFrom));
    // Markers of the outage this watch was rebuilt after may still arrive as live changes.
    if (bucketWasDown || previous.#unreachableIn === previous.#heardAt) this.#outageEndedAt = now;
    else this.#outageEndedAt = previous.#outageEndedAt;
    for (const [id, n] of this.#nodes) {
      const old = previous.#nodes.get(id);
      if (old !== undefined) n.version = old.version + (old.adJson === n.adJson && old.state === n.state ? 0 : 1);
    }
    this.#heardAt = now;
    this.#lastListKey = previous.#lastListKey;
    this.#dirty = true;
  }

  /**
   * A snapshot taken while a bucket's leader moves may lack entries that were never deleted (a
   * fault test saw a client's view fall to one node of four after a NATS server died). Absence is not a withdrawal (that is a delete marker): a node live a moment ago
   * keeps its advertisement and last beat, and still expires by its TTL if it really died.
   */
  #carryOver(previous: RegistryView, now: number, keep: (id: string) => boolean): void {
    for (const [id, old] of previous.#nodes) {
      if (this.#deleted.has(id) || old.view === undefined || !keep(id) || !previous.#live(old, now)) continue;
      const n = this.#nodes.get(id);
      if (n === undefined) {
        this.#nodes.set(id, { ...old, shown: false });
        continue;
      }
      if (n.view === undefined) {
        n.adJson = old.adJson;
        n.view = n.state === undefined || n.state === old.view.state ? old.view : { ...old.view, state: n.state };
      }
      if (n.lastBeat === NO_BEAT) {
        n.lastBeat = old.lastBeat;
        n.serverTtl = old.serverTtl;
      }
      n.ttlMs ||= old.ttlMs;
    }
    this.#deleted.clear();
  }

  /** True while node `id` has an advertisement and a fresh heartbeat. */
  isLive(id: string, wall = Date.now()): boolean {
    const n = this.#nodes.get(id);
    return n?.view !== undefined && this.#live(n, wall);
  }

  /** Live nodes at `wall`, sorted by id. */
  nodes(wall = Date.now()): NodeView[] {
    const out: NodeView[] = [];
    for (const n of this.#nodes.values()) if (n.view !== undefined && this.#live(n, wall)) out.push(n.view);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * The live list if it differs from the one returned last time, else undefined. Cheap when
   * nothing changed: one pass over the nodes to catch expiries, no list built.
   */
  changed(wall = Date.now()): NodeView[] | undefined {
    if (!this.#dirty) {
      for (const n of this.#nodes.values())
        if (n.view !== undefined && this.#live(n, wall) !== n.shown) {
          this.#dirty = true;
          break;
        }
      if (!this.#dirty) return undefined;
    }
    this.#dirty = false;
    let key = '';
    for (const [id, n] of this.#nodes) {
      n.shown = n.view !== undefined && this.#live(n, wall);
      if (n.shown) key += `${id}@${n.version} `;
    }
    // Map order is insertion order, so the key is stable for the same nodes and versions.
    if (key === this.#lastListKey) return undefined;
    this.#lastListKey = key;
    return this.nodes(wall);
  }

  #live(n: Node, wall: number): boolean {
    // While the watch is silent, time stands still one beat interval after its last word.
    const now = Math.min(wall, this.#heardAt + beatGap(n));
    return now - n.lastBeat <= lapse(n);
  }

  /** Nodes last heard before `from` get back the part of `ms` beyond one beat interval. */
  #credit(from: number, ms: number): void {
    for (const n of this.#nodes.values()) {
      const excess = ms - beatGap(n);
      if (excess > 0 && n.lastBeat <= from) n.lastBeat += excess;
    }
  }

  #apply(e: RegistryEntry, beatAt: number): void {
    const dot = e.key.indexOf('.');
    const kind = e.key.slice(0, dot);
    const id = e.key.slice(dot + 1);
    if (e.operation !== 'PUT') return this.#withdraw(kind, id, e.operation === 'PURGE' ? beatAt : undefined);
    const text = e.string();
    const refused = screenRegistryEntry(e.key, id, text);
    if (refused !== undefined) return this.onInvalid(e.key, refused.reason, refused.refusal);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.onInvalid(e.key, 'not JSON', 'json');
    }
    if (kind === 'node') return this.#applyAd(e.key, id, json);
    if (kind === 'alive') return this.#applyBeat(e.key, id, json, beatAt);
    this.onInvalid(e.key, 'unknown key kind', 'key');
  }

  /**
   * A delete marker takes away one key, not the node: its owner restores a key someone else
   * deleted, and may have restored the other one already (deleting `node.x`, then `alive.x`, must
   * not lose the advertisement written back in between). Both gone: the node is withdrawn.
   *
   * A purge of a heartbeat the server expires, arriving within one TTL of an outage's end
   * (`purgedAt`, live entries only), is not taken: the node could not write while the bucket
   * had no leader, and its TTL ran out there. A node whose own server got JetStream back later
   * than this watcher's did (a cluster recovering under load: seconds apart) is expired by the
   * new leader up to a TTL after the registry is heard again. It stays until it writes again or
   * lapses by this watcher's clock, which stood still through the outage (a node that died
   * meanwhile goes a TTL later than it would have).
   */
  #withdraw(kind: string, id: string, purgedAt?: number): void {
    const n = this.#nodes.get(id);
    if (n === undefined) return;
    if (kind === 'alive' && n.serverTtl && purgedAt !== undefined && purgedAt - this.#outageEndedAt <= n.ttlMs) {
      n.serverTtl = false; // no other marker will come for this heartbeat: the timer decides
      return;
    }
    if (n.shown) this.#dirty = true;
    if (kind === 'alive') {
      n.lastBeat = NO_BEAT;
      n.pendingBeat = undefined;
    } else {
      n.view = undefined;
      n.adJson = '';
      n.version++;
    }
    if (n.view === undefined && n.lastBeat === NO_BEAT) this.#nodes.delete(id);
  }

  #node(id: string): Node {
    let n = this.#nodes.get(id);
    if (n === undefined)
      this.#nodes.set(id, (n = { adJson: '', lastBeat: NO_BEAT, ttlMs: 0, serverTtl: false, version: 0, shown: false }));
    return n;
  }

  #applyAd(key: string, id: string, json: unknown): void {
    const ad = advertisementSchema.safeParse(json);
    if (!ad.success || ad.data.id !== id)
      return this.onInvalid(
        key,
        ad.success ? `id "${ad.data.id}" does not match its key` : (ad.error.issues[0]?.message ?? 'invalid'),
        'schema',
      );
    let nodeKey: string | undefined;
    if (this.trust !== undefined)
      try {
        nodeKey = this.trust.check(id, json);
      } catch (e) {
        // A forged entry never replaces what a client believed before: the node restores its own.
        return this.onInvalid(key, (e as Error).message, 'signature');
      }
    const { v: _v, ttlMs, updatedAt: _u, certificate: _c, signature: _s, nodeKey: _k, ...rest } = ad.data;
    const view: NodeView = nodeKey === undefined ? rest : { ...rest, nodeKey };
    const n = this.#node(id);
    n.ttlMs = ttlMs;
    const adJson = JSON.stringify(view);
    if (adJson === n.adJson) return;
    n.adJson = adJson;
    n.view = n.state === undefined ? view : { ...view, state: n.state };
    n.version++;
    this.#dirty = true;
    const pending = n.pendingBeat;
    n.pendingBeat = undefined;
    if (pending !== undefined) this.#applyBeat(pending.key, id, pending.json, pending.beatAt);
  }

  #applyBeat(key: string, id: string, json: unknown, beatAt: number): void {
    const hb = heartbeatSchema.safeParse(json);
    if (!hb.success) return this.onInvalid(key, hb.error.issues[0]?.message ?? 'invalid heartbeat', 'schema');
    const n = this.#node(id);
    if (this.trust !== undefined) {
      // Snapshots list alive.* before node.*: hold the beat until the key that checks it is known.
      if (n.view?.nodeKey === undefined) {
        n.pendingBeat = { key, json, beatAt };
        return;
      }
      const refused = heartbeatRefusal(id, json as Record<string, unknown>, n.view.nodeKey, n.lastAt ?? -Infinity, beatAt);
      if (refused !== undefined) return this.onInvalid(key, refused, 'signature');
      n.lastAt = hb.data.at;
    }
    n.lastBeat = Math.max(n.lastBeat, beatAt);
    n.ttlMs = hb.data.ttlMs;
    n.serverTtl = hb.data.serverTtl === true;
    if (n.state !== hb.data.state) {
      n.state = hb.data.state;
      if (n.view !== undefined) {
        n.view = { ...n.view, state: hb.data.state };
        n.version++;
        this.#dirty = true;
      }
    }
    // A node that comes (back) into view: the common beat of a shown node changes nothing.
    if (!n.shown && n.view !== undefined) this.#dirty = true;
  }
}
