import { InsightsError, RETRYABLE_CODES, isInsightsError, type CallOptions } from '@insights/sdk';
import { NameIndex, type NamedEntry, type QueryKind } from '@insights/sdk/internal';
import type { NodeView } from '@insights/registry';
import type { CallOutcome, RawOutcome } from '@insights/wire';
import type { NodeCallRequest, NodeConnection } from './node-connection.ts';

/** One analytic on one node. */
export interface Replica {
  readonly node: NodeConnection;
  readonly nodeId: string;
  readonly idempotent: boolean;
}

export interface AnalyticDescription {
  readonly kind: 'query' | 'view';
  readonly module: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** JSON Schema of the arguments. */
  readonly params: Record<string, unknown>;
  readonly idempotent: boolean;
  /** Ids of the nodes that serve it. */
  readonly nodes: readonly string[];
}

export interface NodeDescription {
  readonly id: string;
  readonly address: string;
  readonly labels: readonly string[];
  readonly state: string;
  readonly modules: readonly ModuleDescription[];
}

export interface ModuleDescription {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly lastError: string;
  /** Its event handlers' names (hard-realtime waits use them to know whose consumers to expect). */
  readonly eventHandlers: readonly string[];
}

export interface MeshDescription {
  readonly nodes: readonly NodeDescription[];
  readonly analytics: readonly AnalyticDescription[];
}

/**
 * Knows which nodes serve which analytics and routes each call: resolves the name the same way
 * nodes do, spreads calls over replicas, and retries a retryable failure on another replica
 * while the deadline allows (only for idempotent analytics).
 */
export class Router {
  #index = new NameIndex<Replica[]>([]);
  #description: MeshDescription = { nodes: [], analytics: [] };
  #turn = 0;

  update(nodes: readonly { connection: NodeConnection; view: NodeView }[]): void {
    const byKey = new Map<string, { entry: NamedEntry<Replica[]>; desc: AnalyticDescription }>();
    for (const { connection, view } of nodes) {
      // A draining node takes no new calls; its replicas (if any) take over.
      if (view.state === 'draining') continue;
      for (const m of view.modules) {
        if (m.state === 'failed') continue;
        for (const a of m.analytics) {
          if (a.kind !== 'query' && a.kind !== 'view') continue;
          const key = `${a.kind}:${m.name}.${a.name}`;
          let slot = byKey.get(key);
          if (slot === undefined) {
            slot = {
              entry: { kind: a.kind, module: m.name, name: a.name, aliases: a.aliases, target: [] },
              desc: {
                kind: a.kind,
                module: m.name,
                name: a.name,
                aliases: a.aliases,
                description: a.description,
                params: a.params,
                idempotent: a.idempotent,
                nodes: [],
              },
            };
            byKey.set(key, slot);
          }
          slot.entry.target.push({ node: connection, nodeId: view.id, idempotent: a.idempotent });
          (slot.desc.nodes as string[]).push(view.id);
        }
      }
    }
    this.#index = new NameIndex([...byKey.values()].map((s) => s.entry));
    this.#description = {
      nodes: nodes.map(({ connection, view }) => ({
        id: view.id,
        address: connection.address,
        labels: view.labels,
        state: view.state,
        modules: view.modules.map((m) => ({
          name: m.name,
          version: m.version,
          state: m.state,
          lastError: m.lastError,
          eventHandlers: m.analytics.filter((a) => a.kind === 'event-handler').map((a) => a.name),
        })),
      })),
      analytics: [...byKey.values()].map((s) => s.desc),
    };
  }

  get description(): MeshDescription {
    return this.#description;
  }

  names(kind: QueryKind): string[] {
    return this.#index.names(kind);
  }

  resolve(kind: QueryKind, name: string): NamedEntry<Replica[]> {
    return this.#index.resolve(kind, name);
  }

  call(
    entry: NamedEntry<Replica[]>,
    args: unknown,
    deadline: number,
    options: CallOptions & { raw?: boolean | undefined },
    capability?: string,
  ): Promise<CallOutcome | RawOutcome> {
    const replicas = this.#order(entry.target);
    if (replicas.length === 0)
      return Promise.reject(new InsightsError('UNAVAILABLE', `no node serves ${entry.module}.${entry.name} right now`));
    const request: NodeCallRequest = {
      kind: entry.kind as 'query' | 'view',
      name: `${entry.module}.${entry.name}`,
      args,
      deadline,
      signal: options.signal,
      onProgress: options.onProgress,
      capability,
      raw: options.raw,
      traceparent: options.traceparent,
      parentCall: options.parentCall,
    };
    return this.#attempt(replicas, 0, request);
  }

  /** Calls replica `i`; a retryable failure of an idempotent analytic moves on to the next one. */
  #attempt(replicas: readonly Replica[], i: number, request: NodeCallRequest): Promise<CallOutcome | RawOutcome> {
    const replica = replicas[i]!;
    return replica.node.call(request).then(
      (outcome) => {
        replica.node.breaker.success();
        return outcome;
      },
      (e: unknown) => {
        const transport = isInsightsError(e) && RETRYABLE_CODES.has(e.code);
        if (transport) replica.node.breaker.failure();
        if (transport && replica.idempotent && i + 1 < replicas.length && Date.now() < request.deadline)
          return this.#attempt(replicas, i + 1, request);
        throw e;
      },
    );
  }

  /** Healthy replicas first, rotating the starting point to spread load; open breakers last. */
  #order(replicas: readonly Replica[]): readonly Replica[] {
    const n = replicas.length;
    if (n <= 1) return replicas;
    const start = this.#turn++ % n;
    const rotated = replicas.map((_, i) => replicas[(start + i) % n] as Replica);
    return [...rotated.filter((r) => !r.node.breaker.isOpen), ...rotated.filter((r) => r.node.breaker.isOpen)];
  }
}
