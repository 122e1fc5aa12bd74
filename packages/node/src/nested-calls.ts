import { connect, type Mesh, type MeshDescription } from '@insights/client';
import type { CallAuthority, Dispatcher, Logger } from '@insights/runtime';
import type { Tracer } from '@opentelemetry/api';
import type { RegistryRefusalListener } from '@insights/registry';
import type { NodeConfig } from './config.ts';
import type { MeshView } from './events/wait-for-handlers.ts';
import { nestedCallTls } from './tls.ts';

/**
 * With a registry, a module's nested calls (`ctx.mesh`) reach analytics on other nodes through
 * an ordinary mesh client. A call made for a caller carries the caller's capability chain (and
 * the node's own), so the serving node checks the caller's policy too; work with no caller
 * carries the module's or node's own capability. Without NATS, nested calls stay on this node.
 */
export function startNestedCallClient(
  config: NodeConfig,
  dispatcher: Dispatcher,
  log: Logger,
  trustedKeys: readonly string[],
  /** Wraps the capability for each node called (bound to it), when the node has a certificate. */
  delegate: ((capability: string, target: string) => string) | undefined,
  tracer?: Tracer,
  /** Each registry entry the node refused to believe (counted in /metrics). */
  onRegistryRefusal?: RegistryRefusalListener,
): { close(): Promise<void>; meshView(): MeshView | undefined; mesh(): Mesh | undefined } {
  if (config.nats === undefined) return { close: async () => {}, meshView: () => undefined, mesh: () => undefined };
  /** The latest listing that includes this node (one without it has not read the registry yet). */
  let nodes: MeshDescription['nodes'] | undefined;
  let view: { of: MeshDescription['nodes']; view: MeshView } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let mesh: Mesh | undefined;
  let closed = false;
  const ready = connect({
    nats: config.nats,
    bucket: config.registry.bucket,
    discoveryTimeoutMs: 0,
    // Under mutual TLS the node presents its own certificate to the nodes it calls.
    ...(config.tls === undefined ? {} : { tls: nestedCallTls(config.tls) }),
    ...(tracer === undefined ? {} : { tracer }),
    ...(config.capabilities.meshCapability === undefined ? {} : { capability: config.capabilities.meshCapability }),
    // A node that trusts the mesh key believes only certified nodes, which prove their key
    // before its capability leaves (a forged registry entry must not capture it).
    ...(trustedKeys.length === 0 ? {} : { trustedKeys }),
    ...(config.identity.meshId === undefined ? {} : { meshId: config.identity.meshId }),
    ...(delegate === undefined ? {} : { delegate }),
    ...(onRegistryRefusal === undefined ? {} : { onRegistryRefusal }),
    log: (level, message) => (level === 'warn' ? log.warn(message, { component: 'nested-calls' }) : log.info(message)),
  }).then(
    (m) => {
      if (closed) return void m.close();
      mesh = m;
      const track = async () => {
        const listed = (await m.describe()).nodes;
        if (listed.some((n) => n.id === config.id)) nodes = listed;
      };
      void track();
      timer = setInterval(() => void track(), 500);
      timer.unref();
      // One proxy per authority over the same connections (a caller's authority lives for its call).
      const meshes = new WeakMap<CallAuthority, Mesh>();
      const meshFor = (authority: CallAuthority | undefined): Mesh => {
        const capability = authority?.capability;
        if (authority === undefined || capability === undefined) return m;
        let forwarded = meshes.get(authority);
        if (forwarded === undefined) meshes.set(authority, (forwarded = m.withCapability(capability)));
        return forwarded;
      };
      dispatcher.setFallback({
        names: (kind) => Object.keys(kind === 'query' ? m.query : m.view),
        invoke: (kind, name, args, options, caller) => {
          const mesh = meshFor(caller?.authority);
          const section = kind === 'query' ? mesh.query : mesh.view;
          return (section[name] as NonNullable<(typeof section)[string]>)(args, options);
        },
      });
    },
    (e: unknown) => log.warn('nested calls stay on this node: mesh client failed', { error: (e as Error).message }),
  );
  return {
    /** The mesh client, once connected (reads of modules on other nodes use it: mesh-read-db.ts). */
    mesh: () => mesh,
    // Built when asked (hard-realtime waits, readiness, metrics), once per listing.
    meshView: () => {
      if (nodes === undefined) return undefined;
      if (view?.of !== nodes) view = { of: nodes, view: meshViewOf(nodes) };
      return view.view;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      dispatcher.setFallback(undefined);
      await ready;
      await mesh?.close();
    },
  };
}

function meshViewOf(nodes: MeshDescription['nodes']): MeshView {
  return {
    live: new Set(nodes.map((n) => n.id)),
    handlers: nodes.flatMap((n) =>
      n.modules
        .filter((m) => m.state !== 'failed')
        .flatMap((m) => m.eventHandlers.map((h) => ({ node: n.id, label: `${m.name}.${h}` }))),
    ),
  };
}
