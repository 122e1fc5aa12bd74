import { InsightsError, type CallOptions, type UntypedMesh } from '@insights/sdk';
import { createMeshProxy, type CallInvoker, type QueryKind } from '@insights/sdk/internal';
import type { Policy, PolicyContext, PolicyLayer } from '@insights/policy';
import type { IngestReport } from '@insights/runtime';
import type { NatsSettings, RegistryFeed, RegistryRefusalListener } from '@insights/registry';
import type { Tracer } from '@opentelemetry/api';
import type { ClientTlsOptions } from './node-connection.ts';
import { Restriction } from './restriction.ts';
import { noNodesError, RemoteBackend } from './remote-backend.ts';
import type { MeshDescription } from './router.ts';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** Node gRPC addresses (`host:port`) to call directly. */
  nodes?: readonly string[];
  /** NATS registries to discover nodes from: a URL, settings, or several (their nodes are merged). */
  nats?: string | NatsSettings | readonly (string | NatsSettings)[];
  /** Registry bucket name (default `insights-registry`). */
  bucket?: string;
  /** Deadline of calls that give none, milliseconds. */
  defaultTimeoutMs?: number;
  /** How long `connect` waits for the registry's first snapshot, ms (default 3000). */
  discoveryTimeoutMs?: number;
  /** Where the client reports problems it recovers from (default: stderr for warnings). */
  log?: (level: 'info' | 'warn', message: string) => void;
  /** The mesh's private signing key (PEM): lets this client mint capabilities with `restrict`. */
  signingKey?: string;
  /** Token for the nodes' ingest endpoints (`mesh.events.ingest`), when they require one. */
  ingestToken?: string;
  /** A capability (from `insights token` or a dashboard) that every call carries. */
  capability?: string;
  /**
   * TLS towards the nodes: the authority that signed their certificates, and a client
   * certificate for nodes that require one (mutual TLS). Without it, nodes that advertise TLS
   * are verified against the system's authorities and the others are called in plaintext.
   */
  tls?: ClientTlsOptions;
  /** OpenTelemetry tracer for the CLIENT span of each call made inside an active span (default: the global provider's). */
  tracer?: Tracer;
  /**
   * The mesh's public keys (PEM text). With them, the client believes only registry entries
   * signed by nodes the mesh certified, and every node proves it holds its key before any call,
   * capability or ingest token is sent to it. Without them the registry is taken on trust.
   */
  trustedKeys?: readonly string[];
  /** The mesh id: minted capabilities name it, node certificates must name it. */
  meshId?: string;
  /**
   * For nodes: wraps the capability for each registry node it goes to (a delegation signed with
   * the calling node's key, naming the target), so a captured one works nowhere else.
   */
  delegate?: (capability: string, targetNodeId: string) => string;
  /** Told of each registry entry the client refused (unsigned, forged, malformed), besides the log. */
  onRegistryRefusal?: RegistryRefusalListener;
  /**
   * For nodes: registry nodes this process already follows (the node's own watch, whose
   * entries it has checked), used as a registry without another NATS connection or watch.
   */
  registryFeed?: RegistryFeed;
}

export interface RestrictOptions {
  /** Lifetime of the capability, seconds (default 3600; renewed while the mesh is in use). */
  ttlSeconds?: number;
  /** Who the capability is for; nodes log it. */
  subject?: string;
}

export interface WithCapabilityOptions {
  /**
   * Refuse here, before any node is asked, what the capability denies (default true). A node
   * forwarding a caller's nested calls turns it off: the serving node then refuses such a call
   * and records the refusal in its audit trail, under the call that caused it. Nodes that
   * enforce nothing (local mode) are always checked here.
   */
  readonly failFast?: boolean;
}

/** Methods every mesh proxy has besides `query` and `view`. */
export interface MeshControls {
  /** Every node and analytic (that this proxy may call), with parameters, docs and the nodes that serve each. */
  describe(): Promise<MeshDescription>;
  /** The same mesh whose calls default to `ms` milliseconds. */
  withTimeout(ms: number): Mesh;
  /**
   * The same connections, with calls that carry another capability (or chain of them,
   * space-separated). A node uses it to forward a caller's capability on nested calls.
   */
  withCapability(capability: string, options?: WithCapabilityOptions): Mesh;
  /**
   * A narrower mesh: `policy` allows, denies, or locks parameters to values from `context`.
   * Nodes enforce it through a signed capability; denied analytics vanish from listings and
   * locked parameters from schemas. Restricting again only narrows.
   */
  restrict(policy: Policy, context?: PolicyContext, options?: RestrictOptions): Mesh;
  /** The capability this proxy's calls carry (hand it to a dashboard or script), if restricted. */
  capability(): string | undefined;
  /**
   * Calls an analytic and resolves with its result undecoded: content type and bytes as the node
   * sent them. For large results that go on to a file, an HTTP response or another parser, this
   * skips parsing them here (a 1 MB JSON result costs its transfer, not a JSON.parse).
   */
  raw(kind: 'query' | 'view', name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<RawResult>;
  /**
   * For nodes: calls a node-internal route (its name starts with `$`, e.g. reads of a module's
   * data) on a node that hosts `module`, carrying this proxy's capability. Nodes serve these
   * routes only to other mesh nodes (a capability delegated with a node certificate).
   */
  nodeRoute(module: string, route: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** Re-reads every node's Describe now. */
  refresh(): Promise<void>;
  /** Sending events into the mesh. */
  readonly events: MeshEvents;
  close(): Promise<void>;
}

export interface MeshEvents {
  /**
   * Normalises raw events (edX tracking-log lines, processed events, xAPI, or envelopes) and
   * delivers them to every matching handler, resolving once they have processed them.
   */
  ingest(
    events: readonly unknown[],
    options?: { waitForHandlers?: boolean; timeoutMs?: number },
  ): Promise<IngestReport & { duplicates?: number }>;
  /** Computes an event property (e.g. `tincan.actor`) with the module that serves it for the event's source. */
  property(event: unknown, name: string): Promise<unknown>;
}

export type Mesh<M = UntypedMesh> = M & MeshControls;

export type BackendCallOptions = CallOptions & {
  deadline: number;
  capability?: string | undefined;
  /** Resolve with the undecoded result (`RawResult`). */
  raw?: boolean | undefined;
  /** The proxy's policy layers, for a backend that enforces them itself (local mode: nested calls too). */
  layers?: readonly PolicyLayer[] | undefined;
};

/** A result as bytes: what `mesh.raw` resolves with. */
export interface RawResult {
  /** `application/json` for queries; the view's type (`text/html; charset=utf-8`, `image/png`, ...) for views. */
  readonly contentType: string;
  readonly data: Uint8Array;
}

/** What a mesh proxy needs from where its analytics live (remote nodes, or modules in-process). */
export interface MeshBackend {
  /** True when nodes check capabilities (remote); false when the proxy must apply policies itself (local). */
  readonly enforcesCapabilities: boolean;
  names(kind: QueryKind): string[];
  /** What is there now, synchronously (for listings and policy checks). */
  snapshot(): MeshDescription;
  invoke(kind: QueryKind, name: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown>;
  refresh(): Promise<void>;
  readonly events?: MeshEvents;
  /** Node-internal routes by module (remote meshes only). */
  nodeRoute?(module: string, route: string, args: Record<string, unknown>, options: BackendCallOptions): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Connects to the mesh and returns one proxy over every node: `await mesh.query.name(args)`.
 * Nodes come from `nodes` (direct addresses) and from NATS registries (`nats`), merged, and the
 * proxy follows the registry live. Pass a module's type for typed calls:
 * `connect<InferMesh<typeof grades>>(...)`.
 */
export async function connect<M = UntypedMesh>(options: ConnectOptions = {}): Promise<Mesh<M>> {
  const registries =
    options.nats === undefined ? [] : Array.isArray(options.nats) ? options.nats : [options.nats as string | NatsSettings];
  const nodes = options.nodes ?? [];
  if (nodes.length === 0 && registries.length === 0 && options.registryFeed === undefined) throw noNodesError();
  const restriction =
    options.capability === undefined
      ? Restriction.none(options.signingKey, options.meshId)
      : Restriction.fromCapability(options.capability, options.signingKey, options.meshId);
  const backend = await RemoteBackend.open({
    capability: () => restriction.token(),
    ingestToken: options.ingestToken,
    nodes,
    registries,
    bucket: options.bucket,
    discoveryTimeoutMs: options.discoveryTimeoutMs ?? 3_000,
    tls: options.tls,
    tracer: options.tracer,
    trustedKeys: options.trustedKeys,
    delegate: options.delegate,
    onRegistryRefusal: options.onRegistryRefusal,
    registryFeed: options.registryFeed,
    meshId: options.meshId,
    log: options.log ?? ((level, message) => level === 'warn' && process.stderr.write(`insights client: ${message}\n`)),
  });
  return makeMesh<M>(backend, options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, restriction);
}

const notYet = async (): Promise<never> => {
  throw new InsightsError(
    'UNIMPLEMENTED',
    "sending events through a remote mesh is not available in this client yet; use local mode or a node's ingest endpoints",
  );
};
const NO_EVENTS: MeshEvents = { ingest: notYet, property: notYet };

/** Wraps a backend in the proxy users call; shared by `connect` and `local`. */
export function makeMesh<M>(backend: MeshBackend, defaultTimeoutMs: number, restriction: Restriction, failFast = true): Mesh<M> {
  const call = (kind: QueryKind, name: string, args: Record<string, unknown>, options: CallOptions, raw: boolean) => {
    let checked = args;
    try {
      if (failFast || !backend.enforcesCapabilities)
        checked = restriction.check(kind, name, args, backend.snapshot(), !backend.enforcesCapabilities);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return backend.invoke(kind, name, checked, {
      signal: options.signal,
      onProgress: options.onProgress,
      traceparent: options.traceparent,
      parentCall: options.parentCall,
      deadline: options.deadline ?? Date.now() + (options.timeoutMs ?? defaultTimeoutMs),
      capability: backend.enforcesCapabilities ? restriction.token() : undefined,
      layers: backend.enforcesCapabilities ? undefined : restriction.layers,
      raw,
    });
  };
  const invoker: CallInvoker = {
    names: (kind) => restriction.filterNames(kind, backend.names(kind), backend.snapshot()),
    invoke: (kind, name, args, options) => call(kind, name, args, options, false),
  };
  const proxy = createMeshProxy<UntypedMesh>(invoker);
  const controls: MeshControls = {
    describe: async () => restriction.filterDescription(backend.snapshot()),
    withTimeout: (ms) => makeMesh<UntypedMesh>(backend, ms, restriction),
    withCapability: (capability, o = {}) =>
      makeMesh<UntypedMesh>(backend, defaultTimeoutMs, Restriction.fromCapability(capability), o.failFast ?? true),
    restrict: (policy, context = {}, opts = {}) =>
      makeMesh<UntypedMesh>(backend, defaultTimeoutMs, restriction.narrow(policy, context, opts, backend.enforcesCapabilities)),
    capability: () => restriction.token(),
    raw: (kind, name, args = {}, options = {}) => call(kind, name, args, options, true) as Promise<RawResult>,
    nodeRoute: (module, route, args, options = {}) =>
      backend.nodeRoute === undefined
        ? Promise.reject(new InsightsError('UNIMPLEMENTED', 'node routes need a remote mesh (connect), not local mode'))
        : backend.nodeRoute(module, route, args, {
            ...options,
            deadline: options.deadline ?? Date.now() + (options.timeoutMs ?? defaultTimeoutMs),
            capability: restriction.token(),
          }),
    refresh: () => backend.refresh(),
    events: backend.events ?? NO_EVENTS,
    close: () => backend.close(),
  };
  return Object.assign(Object.create(null) as object, proxy, controls) as unknown as Mesh<M>;
}
