import { toInsightsError } from '@insights/wire';
import type { NodeMetrics } from './metrics.ts';
import type { NodeTracing } from './tracing.ts';

/** What the gRPC and HTTP servers record about each call: latency and outcome, and a span when tracing. */
export interface CallObserver {
  readonly metrics: NodeMetrics;
  readonly tracing: NodeTracing | undefined;
}

/** Wire kind 2 is VIEW; anything else counts as a query (a bad kind fails and resolves to "(unknown)"). */
export function kindLabel(wireKind: number | 'query' | 'view'): 'query' | 'view' {
  return wireKind === 2 || wireKind === 'view' ? 'view' : 'query';
}

/**
 * Runs one call's work, in a SERVER span child of the caller's traceparent when tracing is on.
 * Without tracing this is just `work()`: the call path stays as it was.
 */
export function traced<T>(
  o: CallObserver,
  kind: string,
  name: string,
  traceparent: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (o.tracing === undefined) return work();
  return o.tracing.span(`insights.${kind} ${name}`, traceparent, { 'insights.kind': kind, 'insights.analytic': name }, work);
}

/** The outcome code a failed call is counted under (the same mapping the wire uses). */
export function errorCode(e: unknown): string {
  return toInsightsError(e).code;
}
