import { InsightsError, type ModuleDefinition } from '@insights/sdk';
import { compileParams, type CompiledParams } from './params.ts';

export type AnalyticKind = 'query' | 'view' | 'event-handler' | 'event-property' | 'job' | 'normaliser';

/** A plain, cloneable description of one analytic: what crosses process and wire boundaries. */
export interface AnalyticManifest {
  readonly kind: AnalyticKind;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly paramsSchema: Record<string, unknown>;
  readonly idempotent: boolean;
  readonly meta: Record<string, unknown>;
}

export interface ModuleManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly analytics: readonly AnalyticManifest[];
  /** Other modules' collections the module says it reads (ctx.readDb); the node grants them only with its operator's leave. */
  readonly reads: Readonly<Record<string, readonly string[]>>;
  /** Result fields and parameters carrying learner ids (pseudonymised for research callers). */
  readonly learnerFields: readonly string[];
}

const NO_PARAMS: Record<string, unknown> = { type: 'object', properties: {}, additionalProperties: false };

/** Describes a module and compiles its callable analytics' parameters (compiled once, reused per call). */
export function buildManifest(def: ModuleDefinition): {
  manifest: ModuleManifest;
  params: Map<string, CompiledParams>;
} {
  const analytics: AnalyticManifest[] = [];
  const params = new Map<string, CompiledParams>();
  const callable = [
    ['query', def.queries],
    ['view', def.views],
  ] as const;
  for (const [kind, entries] of callable)
    for (const [name, a] of Object.entries(entries)) {
      const compiled = compileParams(`${def.name}.${name}`, a.params);
      params.set(`${kind}:${name}`, compiled);
      analytics.push({
        kind,
        name,
        aliases: a.aliases ?? [],
        description: a.description ?? '',
        paramsSchema: compiled.jsonSchema,
        idempotent: a.idempotent ?? true,
        meta: a.memoize === undefined ? {} : { memoize: a.memoize },
      });
    }
  for (const [name, h] of Object.entries(def.eventHandlers)) {
    const partitions = h.partitions ?? 8;
    if (h.partitionBy !== undefined && !(Number.isInteger(partitions) && partitions >= 1 && partitions <= 256))
      throw new InsightsError(
        'INVALID_ARGUMENT',
        `${def.name}.${name}: partitions must be a whole number from 1 to 256, got ${String(h.partitions)}`,
        { parameter: 'partitions' },
      );
    analytics.push({
      kind: 'event-handler',
      name,
      aliases: h.aliases ?? [],
      description: h.description ?? '',
      paramsSchema: NO_PARAMS,
      idempotent: false,
      meta: {
        types: h.filter?.types ?? ['>'],
        sources: h.filter?.sources ?? [],
        mode: h.mode ?? { type: 'realtime' },
        startFrom: h.startFrom ?? 'beginning',
        ...(h.partitionBy === undefined ? {} : { partitionBy: h.partitionBy, partitions }),
        ...(h.maxAttempts === undefined ? {} : { maxAttempts: h.maxAttempts }),
      },
    });
  }
  for (const [key, p] of Object.entries(def.eventProperties))
    analytics.push({
      kind: 'event-property',
      name: p.name ?? key,
      aliases: p.aliases ?? [],
      description: p.description ?? '',
      paramsSchema: NO_PARAMS,
      idempotent: true,
      meta: { sources: p.sources ?? [] },
    });
  for (const [name, j] of Object.entries(def.jobs))
    analytics.push({
      kind: 'job',
      name,
      aliases: j.aliases ?? [],
      description: j.description ?? '',
      paramsSchema: NO_PARAMS,
      idempotent: false,
      meta: { schedule: j.schedule },
    });
  for (const [name, n] of Object.entries(def.normalisers))
    analytics.push({
      kind: 'normaliser',
      name,
      aliases: n.aliases ?? [],
      description: n.description ?? '',
      paramsSchema: NO_PARAMS,
      idempotent: true,
      meta: { source: n.source },
    });
  return {
    manifest: {
      name: def.name,
      version: def.version,
      description: def.description ?? '',
      analytics,
      // A definition from an SDK before learner fields (or reads) declares none.
      learnerFields: [...(def.learnerFields ?? [])],
      reads: def.reads ?? {},
    },
    params,
  };
}
