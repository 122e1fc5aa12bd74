/**
 * Running an aggregation pipeline on the embedded engine. mingo runs the stages, streaming, except
 * two kinds at the top level that read other collections, which run here so they stream too: the
 * equality `$lookup` (embedded-lookup.ts) and `$unionWith` (upstream first, then the other
 * collection through its own pipeline, recursively the same way). The pipeline is cut at those
 * stages; what mingo still needs whole comes from ForeignCollections, on demand and bounded.
 */
import type { Document } from '@insights/sdk';
import { leadingMatch, UNSUPPORTED_STAGES } from './embedded-aggregate.ts';
import { PAGE_DOCS } from './embedded-cursor.ts';
import type { ForeignCollections } from './embedded-foreign.ts';
import { equalityLookup, streamLookup } from './embedded-lookup.ts';
import { matching } from './embedded-read.ts';
import { checkPipeline, runPipeline } from './mingo-ops.ts';
import type { CollectionStore } from './sqlite-store.ts';

/** What one aggregation run reads besides its input. */
export interface PipelineRun {
  /** Namespace of the aggregated collection, for error messages. */
  readonly ns: string;
  /** Opened stores of every other collection the pipeline names (see foreignStages). */
  readonly stores: ReadonlyMap<string, CollectionStore>;
  readonly foreign: ForeignCollections;
}

interface UnionSpec {
  readonly coll: string;
  readonly pipeline: unknown;
}

/** A `$unionWith` stage's collection and pipeline; undefined for forms left to mingo. */
export function unionWithSpec(stage: Document): UnionSpec | undefined {
  const arg: unknown = stage['$unionWith'];
  if (typeof arg === 'string') return { coll: arg, pipeline: [] };
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return undefined;
  const { coll, pipeline, ...other } = arg as Document;
  if (typeof coll !== 'string' || Object.keys(other).length > 0) return undefined;
  return { coll, pipeline: pipeline ?? [] };
}

function* docsOf(pages: Iterable<Document[]>): Generator<Document> {
  for (const page of pages) yield* page;
}

function* pagesOf(docs: Iterable<Document>): Generator<Document[]> {
  let page: Document[] = [];
  for (const doc of docs) {
    page.push(doc);
    if (page.length >= PAGE_DOCS) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

function storeOf(run: PipelineRun, name: string): CollectionStore {
  const store = run.stores.get(name);
  if (store === undefined) throw new Error(`Collection ${name} was not opened for the pipeline on ${run.ns}.`);
  return store;
}

/** The other collection of a `$unionWith`, through its pipeline (a leading `$match` uses its indexes). */
function unionPages(spec: UnionSpec, run: PipelineRun): Generator<Document[]> {
  const { filter, rest } = leadingMatch(checkPipeline(spec.pipeline, run.ns, UNSUPPORTED_STAGES));
  return runStages(matching(storeOf(run, spec.coll), filter ?? {}), rest, run);
}

/** Runs `stages` over streamed input documents (owned by the run); results in pages. */
export function* runStages(input: Iterable<Document>, stages: readonly Document[], run: PipelineRun): Generator<Document[]> {
  const at = stages.findIndex((s) => equalityLookup(s) !== undefined || unionWithSpec(s) !== undefined);
  if (at < 0) {
    yield* runPipeline(input, [...stages], run.ns, run.foreign.resolve, PAGE_DOCS);
    return;
  }
  const stage = stages[at] as Document;
  const upstream = at === 0 ? input : docsOf(runPipeline(input, stages.slice(0, at), run.ns, run.foreign.resolve, PAGE_DOCS));
  const lookup = equalityLookup(stage);
  const union = unionWithSpec(stage);
  let pages: Iterable<Document[]>;
  if (lookup !== undefined) {
    pages = streamLookup(upstream, storeOf(run, lookup.from), lookup, run.ns);
  } else {
    pages = (function* (): Generator<Document[]> {
      yield* pagesOf(upstream);
      if (union !== undefined) yield* unionPages(union, run);
    })();
  }
  const rest = stages.slice(at + 1);
  if (rest.length === 0) yield* pages;
  else yield* runStages(docsOf(pages), rest, run);
}
