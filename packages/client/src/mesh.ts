import { InsightsError, isInsightsError, type CallOptions, type UntypedMesh } from '@insights/sdk';
import { createMeshProxy, type CallInvoker, type QueryKind } from '@insights/sdk/internal';
import { NodeConnection } from './node-connection.ts';
import { Router, type MeshDescription } from './router.ts';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  /** Node gRPC addresses (`host:port`) to call directly. */
  nodes?: readonly string[];
  /** Deadline of calls that give none, milliseconds. */
  defaultTimeoutMs?: number;
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
 * Pass a module's type to get typed calls: `connect<InferMesh<typeof grades>>(...)`.
 */
export async function connect<M = UntypedMesh>(options: ConnectOptions = {}): Promise<Mesh<M>> {
  const connections = (options.nodes ?? []).map((a) => new NodeConnection(a));
  if (connections.length === 0)
    throw new InsightsError('INVALID_ARGUMENT', 'connect: give at least one node address in `nodes`', { parameter: 'nodes' });
  const router = new Router();
  const refresh = async () => {
    const described = await Promise.all(
      connections.map(async (connection) => {
        try {
          return { connection, describe: await connection.describe() };
        } catch {
          return undefined; // an unreachable node serves nothing until it answers again
        }
      }),
    );
    router.update(described.filter((d) => d !== undefined));
  };
  await refresh();
  return makeMesh<M>(
    {
      names: (kind) => router.names(kind),
      invoke: (kind, name, args, options) => invokeRemote(router, refresh, kind, name, args, options),
      describe: async () => router.description,
      refresh,
      close: async () => {
        for (const c of connections) c.close();
      },
    },
    options.defaultTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
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

async function invokeRemote(
  router: Router,
  refresh: () => Promise<void>,
  kind: QueryKind,
  name: string,
  args: Record<string, unknown>,
  options: CallOptions & { deadline: number },
): Promise<unknown> {
  let entry;
  try {
    entry = router.resolve(kind, name);
  } catch (e) {
    // The mesh may have changed since the last look: look again once before giving up.
    if (!isInsightsError(e) || e.code !== 'NOT_FOUND') throw e;
    await refresh();
    entry = router.resolve(kind, name);
  }
  const outcome = await router.call(entry, args, options.deadline, options);
  return outcome.type === 'json' ? outcome.value : outcome;
}
