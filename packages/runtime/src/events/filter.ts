import type { EventEnvelope, EventFilter } from '@insights/sdk';
import { anyTypeMatches } from './subject-match.ts';

/** One predicate from a handler's declared filter: types, then sources, then `where`. */
export function compileFilter(filter: EventFilter | undefined): (e: EventEnvelope) => boolean {
  if (filter === undefined) return () => true;
  const sources = filter.sources === undefined || filter.sources.length === 0 ? undefined : new Set(filter.sources);
  return (e) =>
    anyTypeMatches(filter.types, e.type) &&
    (sources === undefined || sources.has(e.source)) &&
    (filter.where === undefined || filter.where(e));
}
