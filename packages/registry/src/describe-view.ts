import type { AnalyticView, NodeState, NodeView } from './advertisement.ts';

const KINDS: Record<number, AnalyticView['kind']> = {
  1: 'query',
  2: 'view',
  3: 'event-handler',
  4: 'event-property',
  5: 'job',
  6: 'normaliser',
};

/** The parts of a gRPC Describe response this conversion reads (kept structural: no wire dependency). */
export interface DescribeLike {
  node: { id: string; labels: string[]; version: string; grpcAddress: string; httpAddress: string; state: string };
  modules: {
    name: string;
    version: string;
    description: string;
    state: string;
    lastError: string;
    isolation: string;
    analytics: {
      kind: number;
      name: string;
      aliases: string[];
      description: string;
      paramsSchemaJson: string;
      idempotent: boolean;
      metaJson: string;
    }[];
  }[];
}

/** A Describe answer as a NodeView: what a node advertises and what clients route on. */
export function nodeViewFromDescribe(d: DescribeLike, grpcAddress = d.node.grpcAddress): NodeView {
  return {
    id: d.node.id,
    labels: d.node.labels,
    version: d.node.version,
    grpcAddress,
    httpAddress: d.node.httpAddress,
    state: (['starting', 'serving', 'draining', 'degraded'].includes(d.node.state) ? d.node.state : 'serving') as NodeState,
    modules: d.modules.map((m) => ({
      name: m.name,
      version: m.version,
      description: m.description,
      state: m.state,
      lastError: m.lastError,
      isolation: m.isolation,
      analytics: m.analytics.flatMap((a) => {
        const kind = KINDS[a.kind];
        if (kind === undefined) return [];
        return [
          {
            kind,
            name: a.name,
            aliases: a.aliases,
            description: a.description,
            params: safeJson(a.paramsSchemaJson),
            idempotent: a.idempotent,
            meta: safeJson(a.metaJson),
          },
        ];
      }),
    })),
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text || '{}') as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
