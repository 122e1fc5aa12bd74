import { InsightsError, isInsightsError } from '@insights/sdk';
import type { NamedEntry, QueryKind } from '@insights/sdk/internal';
import {
  AdvertisementTrust,
  connectNatsWithRetry,
  inProduction,
  isOpenNats,
  natsSettingsFrom,
  OPEN_NATS_WARNING,
  nodeViewFromDescribe,
  RegistryWatcher,
  type NatsSettings,
  type NodeView,
  type RegistryFeed,
  type RegistryRefusalListener,
} from '@insights/registry';
import type { NatsConnection } from '@nats-io/transport-node';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { BackendCallOptions, MeshBackend, MeshEvents, RawResult } from './mesh.ts';
import type { CallOutcome, RawOutcome } from '@insights/wire';
import { NodeConnection, tlsCredentials, type ClientTlsOptions } from './node-connection.ts';
import { NodeProofs } from './node-proof.ts';
import { PropertyRoutes } from './property-routes.ts';
import { ModuleRoutes } from './module-routes.ts';
import { Router, type MeshDescription, type Replica } from './router.ts';

export interface RemoteOptions {
  /** Token for the nodes' ingest endpoints, when they require one. */
  ingestToken?: string | undefined;
  /** The capability Describe calls carry (nodes that require one answer only with it). */
  capability: () => string | undefined;
  nodes: readonly string[];
  registries: readonly (string | NatsSettings)[];
  bucket?: string | undefined;
  /** How long `connect` waits for the first registry snapshot before returning anyway, ms. */
  discoveryTimeoutMs: number;
  log: (level: 'info' | 'warn', message: string) => void;
  /** TLS for every node; without it, TLS (system authorities) only for nodes that advertise it. */
  tls?: ClientTlsOptions | undefined;
  /** Tracer for CLIENT spans of calls made inside an active span (default: the global provider's). */
  tracer?: Tracer | undefined;
  /**
   * The mesh's public keys (PEM): with them, only registry entries signed by a node the mesh
   * certified are believed, and every node must prove it holds its key before anything is sent.
   */
  trustedKeys?: readonly string[] | undefined;
  /** The mesh id node certificates must name. */
  meshId?: string | undefined;
  /** Wraps the capability for the registry node it is sent to (see ConnectOptions.delegate). */
  delegate?: ((capability: string, targetNodeId: string) => string) | undefined;
  /** Told of each registry entry refused (see ConnectOptions.onRegistryRefusal). */
  onRegistryRefusal?: RegistryRefusalListener | undefined;
  /** Registry nodes followed elsewhere in this process (see ConnectOptions.registryFeed). */
  registryFeed?: RegistryFeed | undefined;
}

/** Retry pauses while no replica can take an idempotent call (a rolling restart, a node rejoining), ms. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 250;
/** Names seen resolving, so a name that vanished for a moment is waited for instead of NOT_FOUND. */
const MAX_KNOWN_NAMES = 10_000;

/** Connections no node references any more are closed after this, so their last calls finish. */
const CLOSE_UNUSED_AFTER_MS = 30_000;

/**
 * The client side of the mesh: explicit node addresses (described over gRPC) merged with every
 * node the NATS registries advertise, kept current as nodes join, change and leave.
 */
export class RemoteBackend implements MeshBackend {
  readonly enforcesCapabilities = true;
  readonly #router = new Router();
  readonly #properties = new PropertyRoutes();
  readonly #moduleRoutes = new ModuleRoutes();
  readonly #connections = new Map<string, NodeConnection>();
  readonly #directViews = new Map<string, NodeView>();
  readonly #registryViews: NodeView[][] = [];
  readonly #watchers: RegistryWatcher[] = [];
  readonly #nats: NatsConnection[] = [];
  readonly #abort = new AbortController();
  /** Names seen resolving, per kind, and whether every replica of each is idempotent. */
  readonly #known: Record<QueryKind, Map<string, boolean>> = { query: new Map(), view: new Map() };
  #changed: (() => void) | undefined;
  #unfollowFeed: (() => void) | undefined;
  readonly #trust: { registry: AdvertisementTrust; proofs: NodeProofs } | undefined;

  private constructor(private readonly options: RemoteOptions) {
    const keys = options.trustedKeys ?? [];
    this.#trust =
      keys.length === 0
        ? undefined
        : { registry: new AdvertisementTrust(keys, options.meshId), proofs: new NodeProofs(keys, options.meshId) };
  }

  static async open(options: RemoteOptions): Promise<RemoteBackend> {
    const b = new RemoteBackend(options);
    const first = options.registries.map((r, i) =>
      b.#startRegistry(natsSettingsFrom(r), i).catch((e: unknown) => {
        options.log('warn', `registry ${i + 1} unusable: ${(e as Error).message}`);
        throw e;
      }),
    );
    b.#followFeed();
    await b.#describeDirect();
    if (first.length > 0) {
      const timeout = new Promise<void>((r) => setTimeout(r, options.discoveryTimeoutMs).unref());
      // A registry that fails for good (bad URL, refused credentials) fails connect; a slow one does not.
      const all = Promise.all(first);
      all.catch(() => {}); // reported through log when it settles after the timeout
      await Promise.race([all, timeout]);
    }
    b.#rebuild();
    return b;
  }

  names(kind: QueryKind): string[] {
    return this.#router.names(kind);
  }

  invoke(kind: QueryKind, name: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown> {
    // Tracing costs one context lookup unless the caller is inside a span.
    if (trace.getActiveSpan() === undefined) return this.#invokeRetrying(kind, name, args, options);
    const tracer = this.options.tracer ?? trace.getTracer('@insights/client');
    const span = tracer.startSpan(`insights.call ${kind}.${name}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'insights.analytic': name, 'insights.kind': kind },
    });
    return context
      .with(trace.setSpan(context.active(), span), () => this.#invokeRetrying(kind, name, args, options))
      .then(
        (v) => (span.setStatus({ code: SpanStatusCode.OK }), span.end(), v),
        (e: unknown) => {
          span.setAttribute('insights.error.code', isInsightsError(e) ? e.code : 'INTERNAL');
          span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
          span.end();
          throw e;
        },
      );
  }

  /**
   * An idempotent call that finds no replica able to take it (every one failed UNAVAILABLE, or
   * the only node serving it is restarting and left the registry) waits for the mesh to change
   * and tries again until its deadline: a rolling restart costs latency, not errors.
   */
  #invokeRetrying(
    kind: QueryKind,
    name: string,
    args: Record<string, unknown>,
    options: BackendCallOptions,
    pause = RETRY_FIRST_MS,
  ): Promise<unknown> {
    return this.#invokeOnce(kind, name, args, options).catch((e: unknown) => {
      const retry = isInsightsError(e) && e.code === 'UNAVAILABLE' && this.#known[kind].get(name) === true;
      if (!retry || options.signal?.aborted || Date.now() + pause >= options.deadline) throw e;
      return new Promise((r) => setTimeout(r, pause)).then(() =>
        this.#invokeRetrying(kind, name, args, options, Math.min(RETRY_MAX_MS, pause * 2)),
      );
    });
  }

  #invokeOnce(kind: QueryKind, name: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown> {
    let entry: NamedEntry<Replica[]>;
    try {
      entry = this.#router.resolve(kind, name);
    } catch (e) {
      if (!isInsightsError(e) || e.code !== 'NOT_FOUND') return Promise.reject(e as Error);
      return this.#resolveAfterRefresh(kind, name).then((found) => this.#callEntry(kind, name, found, args, options));
    }
    return this.#callEntry(kind, name, entry, args, options);
  }

  #callEntry(
    kind: QueryKind,
    name: string,
    entry: NamedEntry<Replica[]>,
    args: Record<string, unknown>,
    options: BackendCallOptions,
  ): Promise<unknown> {
    const known = this.#known[kind];
    if (!known.has(name) && known.size < MAX_KNOWN_NAMES)
      known.set(
        name,
        entry.target.every((r) => r.idempotent),
      );
    return this.#router.call(entry, args, options.deadline, options, options.capability).then(unwrapOutcome);
  }

  /** A name this client does not know yet: the mesh may have changed since the last update. */
  async #resolveAfterRefresh(kind: QueryKind, name: string): Promise<NamedEntry<Replica[]>> {
    await this.refresh();
    try {
      return this.#router.resolve(kind, name);
    } catch (again) {
      if (this.#known[kind].has(name) && isInsightsError(again) && again.code === 'NOT_FOUND')
        throw new InsightsError('UNAVAILABLE', `no node serves ${kind} ${name} right now (it was served a moment ago)`, {
          cause: again,
        });
      throw again;
    }
  }

  /** Events go to a serving node (round robin), which normalises, stores and delivers them. */
  readonly events: MeshEvents = {
    ingest: async (raws, options = {}) => {
      const nodes = this.#router.description.nodes.filter((n) => n.state === 'serving');
      if (nodes.length === 0) throw new InsightsError('UNAVAILABLE', 'no serving node to send events to');
      const node = nodes[this.#ingestTurn++ % nodes.length] as (typeof nodes)[number];
      const r = await this.#connection(node.address).ingest(raws, { ...options, token: this.options.ingestToken });
      return { received: r.received, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected, delivered: {} };
    },
    property: (event, name) => this.#properties.call(event, name, this.options.capability()),
  };

  #ingestTurn = 0;

  nodeRoute(module: string, route: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown> {
    return this.#moduleRoutes.call(module, route, args, options);
  }

  snapshot(): MeshDescription {
    return this.#router.description;
  }

  async refresh(): Promise<void> {
    await this.#describeDirect();
    const feed = this.options.registryFeed;
    if (feed !== undefined) this.#registryViews[this.options.registries.length] = feed.nodes();
    this.#rebuild();
  }

  /** Resolves at the next change of the mesh (for tests and dashboards that wait for a join). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => {
      const prev = this.#changed;
      this.#changed = () => {
        prev?.();
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    this.#abort.abort();
    this.#unfollowFeed?.();
    for (const w of this.#watchers) w.close();
    await Promise.all(this.#nats.map((nc) => nc.close().catch(() => {})));
    for (const c of this.#connections.values()) c.close();
    this.#connections.clear();
  }

  async #startRegistry(settings: NatsSettings, index: number): Promise<void> {
    this.#registryViews[index] = [];
    const nc = await connectNatsWithRetry(settings, {
      signal: this.#abort.signal,
      onRetry: (e, attempt, delay) =>
        this.options.log(
          'warn',
          `NATS ${String(settings.servers)} unreachable (${e.message}); retry ${attempt} in ${delay} ms; direct nodes still work`,
        ),
    });
    this.#nats.push(nc);
    if (inProduction(this.#trust !== undefined) && isOpenNats(nc))
      this.options.log('warn', `${OPEN_NATS_WARNING}: ${String(settings.servers)}`);
    const watcher = await RegistryWatcher.start(nc, {
      ...(this.options.bucket === undefined ? {} : { bucket: this.options.bucket }),
      onChange: (nodes) => {
        this.#registryViews[index] = nodes;
        this.#rebuild();
      },
      onInvalid: (key, reason, refusal) => {
        this.options.log('warn', `ignoring registry entry ${key}: ${reason}`);
        this.options.onRegistryRefusal?.(key, reason, refusal);
      },
      ...(this.#trust === undefined ? {} : { trust: this.#trust.registry }),
      onRetry: (e, attempt, delay) =>
        this.options.log('warn', `registry ${index + 1} not readable (${e.message}); retry ${attempt} in ${delay} ms`),
    });
    this.#watchers.push(watcher);
    this.#registryViews[index] = watcher.nodes();
    this.#rebuild();
  }

  /** The feed's nodes count as one more registry, after the NATS ones (it is not ours to close). */
  #followFeed(): void {
    const feed = this.options.registryFeed;
    if (feed === undefined) return;
    const index = this.options.registries.length;
    this.#registryViews[index] = feed.nodes();
    this.#unfollowFeed = feed.subscribe((nodes) => {
      this.#registryViews[index] = nodes;
      this.#rebuild();
    });
  }

  async #describeDirect(): Promise<void> {
    await Promise.all(
      this.options.nodes.map(async (address) => {
        try {
          const d = await this.#connection(address).describe(5000, this.options.capability() ?? '');
          this.#directViews.set(address, nodeViewFromDescribe(d, address));
        } catch {
          this.#directViews.delete(address); // unreachable: serves nothing until it answers again
        }
      }),
    );
  }

  /** One connection per address (and, with trust, per node key: a node with a new key proves itself again). */
  #connection(
    address: string,
    advertisesTls = false,
    node: { id: string; nodeKey?: string | undefined } | undefined = undefined,
  ): NodeConnection {
    const name = connectionName(address, node?.nodeKey);
    let c = this.#connections.get(name);
    if (c === undefined) {
      const conn = new NodeConnection(address, this.#credentials(advertisesTls), { serverName: this.options.tls?.serverName });
      const trust = this.#trust;
      const delegate = this.options.delegate;
      // A chain (the caller's capability, then the node's own) is bound token by token: each
      // delegation names this target, so none of them can be replayed at another node.
      if (delegate !== undefined && node !== undefined)
        conn.bindCapabilities((cap) =>
          cap
            .split(' ')
            .map((t) => delegate(t, node.id))
            .join(' '),
        );
      if (trust !== undefined)
        conn.requireProof(() =>
          trust.proofs.check(address, node === undefined ? {} : { id: node.id, key: node.nodeKey }, (n) => conn.prove(n)),
        );
      this.#connections.set(name, (c = conn));
    }
    return c;
  }

  #tlsCredentials: grpc.ChannelCredentials | undefined;

  /** Configured TLS for every node (a plaintext node then fails, never silently downgrades); else TLS where advertised. */
  #credentials(advertisesTls: boolean): grpc.ChannelCredentials {
    if (this.options.tls !== undefined) return (this.#tlsCredentials ??= tlsCredentials(this.options.tls));
    return advertisesTls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  }

  #rebuild(): void {
    const byId = new Map<string, NodeView>();
    for (const views of this.#registryViews) for (const v of views) byId.set(v.id, v);
    for (const v of this.#directViews.values()) if (!byId.has(v.id)) byId.set(v.id, v);
    const nodes = [...byId.values()].map((view) => ({
      view,
      // A registry node names its key (its advertisement was verified); a direct one proves its certificate.
      connection: this.#connection(view.grpcAddress, view.tls === true, view.nodeKey === undefined ? undefined : view),
    }));
    this.#router.update(nodes);
    this.#properties.update(nodes);
    this.#moduleRoutes.update(nodes);
    const used = new Set([...nodes.map((n) => connectionName(n.view.grpcAddress, n.view.nodeKey)), ...this.options.nodes]);
    for (const [name, c] of this.#connections)
      if (!used.has(name)) {
        this.#connections.delete(name);
        setTimeout(() => c.close(), CLOSE_UNUSED_AFTER_MS).unref();
      }
    const changed = this.#changed;
    this.#changed = undefined;
    changed?.();
  }
}

const connectionName = (address: string, nodeKey: string | undefined): string =>
  nodeKey === undefined ? address : `${address}#${nodeKey}`;

/** What a proxy call resolves with: JSON as its value, views as they are, raw results as content type and bytes. */
export function unwrapOutcome(outcome: CallOutcome | RawOutcome): unknown {
  if (outcome.type === 'json') return outcome.value;
  if (outcome.type === 'raw') return { contentType: outcome.contentType, data: outcome.data } satisfies RawResult;
  return outcome;
}

export function noNodesError(): InsightsError {
  return new InsightsError('INVALID_ARGUMENT', 'connect: give node addresses (`nodes`) and/or a NATS registry (`nats`)', {
    parameter: 'nodes',
  });
}
