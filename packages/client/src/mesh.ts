import type { CallOptions, UntypedMesh } from '@insights/sdk';
import { createMeshProxy, type CallInvoker, type QueryKind } from '@insights/sdk/internal';
import type { NatsSettings } from '@insights/registry';
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
}

/** Methods every mesh proxy has besides `query` and `view`. */
export interface MeshControls {
  /** Every node and analytic, with parameters, docs and the nodes that serve each. */
  describe(): Promise<MeshDescription>;
  /** The same mesh whose calls default to `ms` milliseconds. */
  withTimeout(ms: number): Mesh;
  /** Re-reads every node's Describe now. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export type Mesh<M = UntypedMesh> = M & MeshControls;

/** What a mesh proxy needs from where its analytics live (remote nodes, or modules in-process). */
export interface MeshBackend {
  names(kind: QueryKind): string[];
  invoke(kind: QueryKind, name: string, args: Record<string, unknown>, options: CallOptions & { deadline: number }): Promise<unknown>;
  describe(): Promise<MeshDescription>;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects to the mesh and returns one proxy over every node: `await mesh.query.name(args)`.
 * Nodes come from `nodes` (direct addresses) and from NATS registries (`nats`), merged, and the
 * proxy follows the registry live. Pass a module's type for typed calls:
 * `connect<InferMesh<typeof grades>>(...)`.
 */
export async function connect<M = UntypedMesh>(options: ConnectOptions = {}): Promise<Mesh<M>> {
  const registries = options.nats === undefined ? [] : Array.isArray(options.nats) ? options.nats : [options.nats as string | NatsSettings];
  const nodes = options.nodes ?? [];
  if (nodes.length === 0 && registries.length === 0) throw noNodesError();
  const backend = await RemoteBackend.open({
    nodes,
    registries,
    bucket: options.bucket,
    discoveryTimeoutMs: options.discoveryTimeoutMs ?? 3_000,
    log: options.log ?? ((level, message) => level === 'warn' && process.stderr.write(`insights client: ${message}\n`)),
  });
  return makeMesh<M>(backend, options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
}

/** Wraps a backend in the proxy users call; shared by `connect` and `local`. */
export function makeMesh<M>(backend: MeshBackend, defaultTimeoutMs: number): Mesh<M> {
  const invoker: CallInvoker = {
    names: (kind) => backend.names(kind),
    invoke: (kind, name, args, options) =>
      backend.invoke(kind, name, args, {
        ...options,
        deadline: options.deadline ?? Date.now() + (options.timeoutMs ?? defaultTimeoutMs),
      }),
  };
  const proxy = createMeshProxy<UntypedMesh>(invoker);
  const controls: MeshControls = {
    describe: () => backend.describe(),
    withTimeout: (ms) => makeMesh<UntypedMesh>(backend, ms),
    refresh: () => backend.refresh(),
    close: () => backend.close(),
  };
  return Object.assign(Object.create(null) as object, proxy, controls) as unknown as Mesh<M>;
}
