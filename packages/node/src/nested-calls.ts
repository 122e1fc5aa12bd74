import { connect, DEFAULT_CALL_TIMEOUT_MS, type Mesh } from '@insights/client';
import { waitAtMost, type CallAuthority, type Dispatcher, type Logger } from '@insights/runtime';
import { InsightsError } from '@insights/sdk';
import type { NodeView } from '@insights/registry';
import type { Tracer } from '@opentelemetry/api';
import type { Advertising } from './advertising.ts';
import type { NodeConfig } from './config.ts';
import type { MeshView } from './events/wait-for-handlers.ts';
import { nestedCallTls } from './tls.ts';

/** What the node reads of its nested-call client. */
export interface NestedCalls {
  /**
   * The mesh for hard-realtime waits. Asking follows the whole registry: until it is read, the
   * view is empty with `reading` set. Undefined before the node's registry watch is up.
   */
  meshView(): MeshView | undefined;
  /** The node has read its own entry back from the registry (readiness): the rest is read when needed. */
  meshReady(): boolean;
  /** Live nodes of the mesh while the node follows it (metrics); asking never widens the watch. */
  meshNodes(): number | undefined;
  /**
   * Runs `fn` with the node's mesh client while the watch follows the whole registry (reads of
   * modules on other nodes: mesh-read-db.ts); waits for both at most until `deadline`.
   * Undefined without NATS.
   */
  withMesh<T>(deadline: number, fn: (mesh: Mesh) => Promise<T>): Promise<T> | undefined;
  close(): Promise<void>;
}

/**
 * With a registry, a module's nested calls (`ctx.mesh`) reach analytics on other nodes through
 * an ordinary mesh client fed by the node's one registry watch (no NATS connection or watch of
 * its own). A call no local module serves first has the watch follow the whole registry; a
 * node whose modules never call out follows only its own keys. A call made for a caller carries
 * the caller's capability chain (and the node's own), so the serving node checks the caller's
 * policy too; work with no caller carries the module's or node's own capability. Without NATS,
 * nested calls stay on this node.
 */
export function startNestedCallClient(
  config: NodeConfig,
  dispatcher: Dispatcher,
  log: Logger,
  trustedKeys: readonly string[],
  /** Wraps the capability for each node called (bound to it), when the node has a certificate. */
  delegate: ((capability: string, target: string) => string) | undefined,
  tracer: Tracer | undefined,
  /** The node's registry presence, whose watch feeds the client. */
  registry: Pick<Advertising, 'watch' | 'watching'>,
): NestedCalls {
  if (config.nats === undefined)
    return {
      close: async () => {},
      meshView: () => undefined,
      meshReady: () => false,
      meshNodes: () => undefined,
      withMesh: () => undefined,
    };
  let view: { of: readonly NodeView[]; view: MeshView } | undefined;
  let mesh: Mesh | undefined;
  let closed = false;
  const ready = registry.watching
    .then(async (watch) => {
      const m = await connect({
        registryFeed: watch,
        discoveryTimeoutMs: 0,
        // Under mutual TLS the node presents its own certificate to the nodes it calls.
        ...(config.tls === undefined ? {} : { tls: nestedCallTls(config.tls) }),
        ...(tracer === undefined ? {} : { tracer }),
        ...(config.capabilities.meshCapability === undefined ? {} : { capability: config.capabilities.meshCapability }),
        // A node that trusts the mesh key believes only certified nodes (its watch checks their
        // entries), which prove their key before its capability leaves.
        ...(trustedKeys.length === 0 ? {} : { trustedKeys }),
        ...(config.identity.meshId === undefined ? {} : { meshId: config.identity.meshId }),
        ...(delegate === undefined ? {} : { delegate }),
        log: (level, message) => (level === 'warn' ? log.warn(message, { component: 'nested-calls' }) : log.info(message)),
      });
      if (closed) return void (await m.close());
      mesh = m;
      // One proxy per authority over the same connections (a caller's authority lives for its call).
      const meshes = new WeakMap<CallAuthority, Mesh>();
      const meshFor = (authority: CallAuthority | undefined): Mesh => {
        const capability = authority?.capability;
        if (authority === undefined || capability === undefined) return m;
        let forwarded = meshes.get(authority);
        // Not refused here: the serving node refuses what the caller's policy denies and records it under its parent.
        if (forwarded === undefined) meshes.set(authority, (forwarded = m.withCapability(capability, { failFast: false })));
        return forwarded;
      };
      dispatcher.setFallback({
        // Listing never widens the watch (sandboxes list names often): names of other nodes show once it follows the mesh.
        names: (kind) => Object.keys(kind === 'query' ? m.query : m.view),
        invoke: async (kind, name, args, options, caller) => {
          const release = watch.hold();
          try {
            // Bounded by the call's deadline: the call then fails on its own (NOT_FOUND, UNAVAILABLE).
            await waitAtMost(watch.use(), options.deadline ?? Date.now() + (options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS));
            const mesh = meshFor(caller?.authority);
            const section = kind === 'query' ? mesh.query : mesh.view;
            return await (section[name] as NonNullable<(typeof section)[string]>)(args, options);
          } finally {
            release();
          }
        },
      });
    })
    .catch((e: unknown) => log.warn('nested calls stay on this node: no registry watch', { error: (e as Error).message }));
  dispatcher.expectFallback(ready);
  return {
    meshView: () => {
      const watch = registry.watch;
      if (watch === undefined) return undefined;
      const reading = watch.use();
      reading.catch(() => {}); // a closed watch: the waiter sees no view
      const nodes = watch.meshNodes();
      if (nodes === undefined) return { live: new Set(), handlers: [], reading };
      // Built once per listing handed out by the watch.
      if (view?.of !== nodes) view = { of: nodes, view: meshViewOf(nodes) };
      return view.view;
    },
    meshReady: () => registry.watch?.seesSelf() ?? false,
    async withMesh(deadline, fn) {
      await waitAtMost(ready, deadline);
      const watch = registry.watch;
      if (mesh === undefined || watch === undefined)
        throw new InsightsError('UNAVAILABLE', 'this node has not reached the registry yet; retry shortly');
      const release = watch.hold();
      try {
        await waitAtMost(watch.use(), deadline);
        return await fn(mesh);
      } finally {
        release();
      }
    },
    meshNodes: () => registry.watch?.meshNodes()?.length,
    async close() {
      closed = true;
      dispatcher.setFallback(undefined);
      // The watch may never come up (NATS never answered): do not wait for it.
      if (registry.watch !== undefined) await ready;
      await mesh?.close();
    },
  };
}

function meshViewOf(nodes: readonly NodeView[]): MeshView {
  return {
    live: new Set(nodes.map((n) => n.id)),
    handlers: nodes.flatMap((n) =>
      n.modules
        .filter((m) => m.state !== 'failed')
        .flatMap((m) =>
          m.analytics.filter((a) => a.kind === 'event-handler').map((a) => ({ node: n.id, label: `${m.name}.${a.name}` })),
        ),
    ),
  };
}
