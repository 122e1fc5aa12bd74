/**
 * One aggregation over opened stores: what the node's thread runs for streaming pipelines and
 * the aggregation worker (aggregate-worker-main.ts) runs for the others.
 */
import type { Document } from '@insights/sdk';
import { foreignStages, leadingMatch, UNSUPPORTED_STAGES } from './embedded-aggregate.ts';
import { ForeignCollections } from './embedded-foreign.ts';
import { equalityLookup } from './embedded-lookup.ts';
import { runStages, unionWithSpec } from './embedded-pipeline.ts';
import { matching } from './embedded-read.ts';
import { checkPipeline } from './mingo-ops.ts';
import type { CollectionStore } from './sqlite-store.ts';

/** A checked pipeline, split for the engine. */
export interface AggregatePlan {
  /** A leading `$match` (it may use the collection's indexes). */
  readonly filter: Document | undefined;
  readonly rest: Document[];
  /** Each other collection the pipeline reads, with the stage that names it. */
  readonly foreign: ReadonlyMap<string, string>;
}

export function planAggregate(pipeline: unknown, ns: string): AggregatePlan {
  const { filter, rest } = leadingMatch(checkPipeline(pipeline, ns, UNSUPPORTED_STAGES));
  return { filter, rest, foreign: foreignStages(rest) };
}

/** Stages that pass documents on one by one (mingo streams them, or embedded-pipeline.ts does). */
const STREAMING_STAGES: ReadonlySet<string> = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$limit',
  '$skip',
  '$replaceRoot',
  '$replaceWith',
  '$unwind',
  '$redact',
]);

/**
 * True when a stage must read its whole input before its first result (`$group`, `$sort`,
 * `$bucket`, `$facet`, ...) or reads another collection whole (`$lookup` with a pipeline,
 * `$graphLookup`): mingo runs those synchronously, so on the node's thread one such stage over
 * a large collection would hold every other module's calls until it ended.
 */
export function holdsInput(plan: Pick<AggregatePlan, 'rest'>): boolean {
  return plan.rest.some((stage) => {
    const [name] = Object.keys(stage);
    if (name === undefined || STREAMING_STAGES.has(name)) return false;
    const union = unionWithSpec(stage);
    if (union !== undefined) return Array.isArray(union.pipeline) && holdsInput({ rest: union.pipeline as Document[] });
    return equalityLookup(stage) === undefined;
  });
}

/** Runs a plan over `store` and the opened `stores` of the collections it names; results in pages. */
export function runAggregate(
  plan: AggregatePlan,
  store: CollectionStore,
  stores: ReadonlyMap<string, CollectionStore>,
  ns: string,
): Iterable<Document[]> {
  const foreign = new ForeignCollections(stores, plan.foreign, ns);
  return runStages(matching(store, plan.filter ?? {}), plan.rest, { ns, stores, foreign });
}
