import type { NatsConnection } from '@nats-io/transport-node';
import type { NodeView } from './advertisement.ts';
import { RegistryWatcher, type WatcherOptions } from './watcher.ts';

/**
 * Live registry nodes that a mesh client can follow instead of opening a NATS connection and a
 * watch of its own (a node's nested-call client follows the node's one watch).
 */
export interface RegistryFeed {
  /** The live nodes handed out last. */
  nodes(): NodeView[];
  /** Calls `listener` with the live nodes at every change; returns the function that stops it. */
  subscribe(listener: (nodes: NodeView[]) => void): () => void;
}

export interface NodeRegistryWatchOptions extends Omit<WatcherOptions, 'onChange' | 'ownId'> {
  /** Back to the node's own keys once the mesh has not been used for this long, ms (default DEFAULT_MESH_IDLE_MS). */
  idleMs?: number;
  /**
   * Follow the whole registry from the start and never narrow: what every node did before
   * watching on demand (benchmarks compare the two; an operator may want the mesh in metrics).
   */
  eager?: boolean;
}

/** A node that made no nested call and waited for no handler for this long stops following the mesh. */
export const DEFAULT_MESH_IDLE_MS = 5 * 60_000;

/**
 * A node's one registry watch, shared by everything in its process that needs one: the
 * advertiser's guard of its own entries, the nested-call client, the mesh view of hard-realtime
 * waits, readiness and metrics. It follows only the node's own two keys (a few messages per TTL)
 * until something needs the rest of the mesh (`use`), then the whole registry, incrementally
 * (a heartbeat touches one node's entry); after `idleMs` without use and with nothing held, it
 * narrows again. So N nodes cost the registry O(N) messages in all, not N x N.
 */
export class NodeRegistryWatch implements RegistryFeed {
  readonly #listeners = new Set<(nodes: NodeView[]) => void>();
  #watcher!: RegistryWatcher;
  #nodes: NodeView[] = [];
  #lastUse = 0;
  #holds = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly nodeId: string,
    private readonly options: NodeRegistryWatchOptions,
  ) {}

  /** Resolves once the node's own keys are read (and, with `eager`, the whole registry). */
  static async start(nc: NatsConnection, nodeId: string, options: NodeRegistryWatchOptions = {}): Promise<NodeRegistryWatch> {
    const w = new NodeRegistryWatch(nodeId, options);
    w.#watcher = await RegistryWatcher.start(nc, {
      ...options,
      ...(options.eager === true ? {} : { ownId: nodeId }),
      onChange: (nodes) => w.#changed(nodes),
    });
    w.#nodes = w.#watcher.nodes();
    const idleMs = options.idleMs ?? DEFAULT_MESH_IDLE_MS;
    if (options.eager !== true) {
      w.#timer = setInterval(() => w.#narrowIfIdle(idleMs), Math.max(50, Math.min(30_000, idleMs / 4)));
      w.#timer.unref();
    }
    return w;
  }

  nodes(): NodeView[] {
    return this.#nodes;
  }

  subscribe(listener: (nodes: NodeView[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The whole registry is followed and read. */
  get wide(): boolean {
    return this.#watcher.scope === 'mesh';
  }

  /** The live nodes of the mesh when the whole registry is followed, else undefined (never widens). */
  meshNodes(): NodeView[] | undefined {
    return this.wide ? this.#nodes : undefined;
  }

  /** The node's own entry is live in the view: the registry is readable and has this node. */
  seesSelf(): boolean {
    return this.#watcher.sees(this.nodeId);
  }

  /** Registry entries this process has received (snapshots included). */
  get received(): number {
    return this.#watcher.received;
  }

  /** Follows the whole registry (if not yet) and resolves once it is read; counts as a use. */
  async use(): Promise<void> {
    this.#lastUse = Date.now();
    // Even when wide: a narrowing may be under way, and widen waits for it and widens again.
    await this.#watcher.widen();
    this.#lastUse = Date.now();
  }

  /** Keeps the mesh followed until the returned function is called (a nested call in flight). */
  hold(): () => void {
    this.#holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holds--;
      this.#lastUse = Date.now();
    };
  }

  close(): void {
    clearInterval(this.#timer);
    this.#watcher.close();
    this.#listeners.clear();
  }

  #narrowIfIdle(idleMs: number): void {
    if (!this.wide || this.#holds > 0 || Date.now() - this.#lastUse < idleMs) return;
    this.#watcher.narrow().catch(() => {}); // closed meanwhile
  }

  #changed(nodes: NodeView[]): void {
    this.#nodes = nodes;
    for (const l of this.#listeners) l(nodes);
  }
}
