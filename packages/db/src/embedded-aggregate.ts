/** Aggregation on the embedded engine: index use for a leading `$match`, and other collections. */
import type { Document } from '@insights/sdk';

/** Stages that write or inspect the server; the embedded engine refuses them. */
export const UNSUPPORTED_STAGES: ReadonlySet<string> = new Set([
  '$out',
  '$merge',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
  '$changeStream',
  '$search',
  '$searchMeta',
  '$vectorSearch',
  '$geoNear',
]);

/** Names of other collections a pipeline reads (`$lookup`, `$graphLookup`, `$unionWith`), nested too. */
export function foreignCollections(pipeline: readonly unknown[], out = new Set<string>()): Set<string> {
  for (const name of foreignStages(pipeline).keys()) out.add(name);
  return out;
}

/** Each other collection a pipeline reads, nested too, with the first stage that names it. */
export function foreignStages(pipeline: readonly unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  const add = (name: unknown, stage: string): void => {
    if (typeof name === 'string' && !out.has(name)) out.set(name, stage);
  };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (typeof v !== 'object' || v === null || v instanceof Date || v instanceof RegExp) return;
    for (const [k, arg] of Object.entries(v)) {
      if ((k === '$lookup' || k === '$graphLookup') && typeof arg === 'object' && arg !== null) {
        add((arg as Document)['from'], k);
      } else if (k === '$unionWith') {
        add(typeof arg === 'string' ? arg : (arg as Document | null)?.['coll'], k);
      }
      visit(arg);
    }
  };
  visit(pipeline);
  return out;
}

/** Splits off a leading `$match` so it can use the collection's indexes. */
export function leadingMatch(pipeline: readonly Document[]): { filter: Document | undefined; rest: Document[] } {
  const first = pipeline[0];
  if (first !== undefined && Object.keys(first).length === 1 && typeof first['$match'] === 'object') {
    return { filter: first['$match'] as Document, rest: pipeline.slice(1) };
  }
  return { filter: undefined, rest: [...pipeline] };
}
