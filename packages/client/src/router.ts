import { InsightsError, RETRYABLE_CODES, isInsightsError, type CallOptions } from '@insights/sdk';
import { NameIndex, type NamedEntry, type QueryKind } from '@insights/sdk/internal';
import { kindFromWire, type CallOutcome, type WireDescribeResponse } from '@insights/wire';
import type { NodeConnection } from './node-connection.ts';

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
  readonly modules: readonly { name: string; version: string; state: string; lastError: string }[];
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

  update(nodes: readonly { connection: NodeConnection; describe: WireDescribeResponse }[]): void {
    const byKey = new Map<string, { entry: NamedEntry<Replica[]>; desc: AnalyticDescription }>();
    for (const { connection, describe } of nodes)
      for (const m of describe.modules)
        for (const a of m.analytics) {
          const kind = kindFromWire(a.kind);
          if (kind !== 'query' && kind !== 'view') continue;
          const key = `${kind}:${a.module}.${a.name}`;
          let slot = byKey.get(key);
          if (slot === undefined) {
            slot = {
              entry: { kind, module: a.module, name: a.name, aliases: a.aliases, target: [] },
              desc: {
                kind,
                module: a.module,
                name: a.name,
                aliases: a.aliases,
                description: a.description,
                params: JSON.parse(a.paramsSchemaJson || '{}') as Record<string, unknown>,
                idempotent: a.idempotent,
                nodes: [],
              },
            };
            byKey.set(key, slot);
          }
          slot.entry.target.push({ node: connection, nodeId: describe.node.id, idempotent: a.idempotent });
          (slot.desc.nodes as string[]).push(describe.node.id);
        }
    this.#index = new NameIndex([...byKey.values()].map((s) => s.entry));
    this.#description = {
      nodes: nodes.map(({ connection, describe }) => ({
        id: describe.node.id,
        address: connection.address,
        labels: describe.node.labels,
        state: describe.node.state,
        modules: describe.modules.map((m) => ({ name: m.name, version: m.version, state: m.state, lastError: m.lastError })),
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

  async call(
    entry: NamedEntry<Replica[]>,
    args: unknown,
    deadline: number,
    options: CallOptions,
    capability?: string,
  ): Promise<CallOutcome> {
    const replicas = entry.target;
    if (replicas.length === 0) throw new InsightsError('UNAVAILABLE', `no node serves ${entry.module}.${entry.name}`);
    const start = this.#turn++ % replicas.length;
    let lastError: unknown;
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[(start + i) % replicas.length] as Replica;
      try {
        return await replica.node.call({
          kind: entry.kind as 'query' | 'view',
          name: `${entry.module}.${entry.name}`,
          args,
          deadline,
          signal: options.signal,
          onProgress: options.onProgress,
          capability,
        });
      } catch (e) {
        lastError = e;
        const retry = isInsightsError(e) && RETRYABLE_CODES.has(e.code) && replica.idempotent && Date.now() < deadline;
        if (!retry) throw e;
      }
    }
    throw lastError;
  }
}
