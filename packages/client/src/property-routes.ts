import { InsightsError, isInsightsError } from '@insights/sdk';
import type { NodeView } from '@insights/registry';
import type { NodeConnection } from './node-connection.ts';

/** One node that serves an event property, for some sources (none listed: every source). */
interface PropertyRoute {
  readonly connection: NodeConnection;
  readonly sources: readonly string[];
}

/** Event properties answer quickly or not at all; calls without a deadline get this one. */
const PROPERTY_TIMEOUT_MS = 10_000;

/**
 * Which nodes serve which event properties, by name, alias and `<module>.<name>`. Properties
 * dispatch by the event's source, and several modules may serve one name for different sources:
 * an envelope goes to a node serving its source; a raw platform event (its source is known only
 * once a data layer has read it) is tried on each node serving the name until one computes it.
 */
export class PropertyRoutes {
  #byName = new Map<string, PropertyRoute[]>();

  update(nodes: readonly { connection: NodeConnection; view: NodeView }[]): void {
    const byName = new Map<string, PropertyRoute[]>();
    for (const { connection, view } of nodes) {
      if (view.state === 'draining') continue;
      for (const m of view.modules) {
        if (m.state === 'failed') continue;
        for (const a of m.analytics) {
          if (a.kind !== 'event-property') continue;
          const sources = (a.meta.sources as string[] | undefined) ?? [];
          for (const name of new Set([a.name, ...a.aliases, `${m.name}.${a.name}`])) {
            const list = byName.get(name) ?? [];
            byName.set(name, list);
            // One route per node: a module may serve one name for several sources (edx: tincan.* for edX and xAPI).
            const i = list.findIndex((r) => r.connection === connection);
            const prior = list[i];
            if (prior === undefined) list.push({ connection, sources });
            else if (prior.sources.length > 0)
              list[i] = { connection, sources: sources.length === 0 ? [] : [...new Set([...prior.sources, ...sources])] };
          }
        }
      }
    }
    this.#byName = byName;
  }

  async call(event: unknown, name: string, capability: string | undefined): Promise<unknown> {
    const routes = this.#byName.get(name) ?? [];
    const source = typeof event === 'object' && event !== null ? (event as { source?: unknown }).source : undefined;
    const candidates =
      typeof source === 'string' ? routes.filter((r) => r.sources.length === 0 || r.sources.includes(source)) : routes;
    if (candidates.length === 0)
      throw new InsightsError(
        'NOT_FOUND',
        `no node serves event property "${name}"${typeof source === 'string' ? ` for source "${source}"` : ''}`,
      );
    const deadline = Date.now() + PROPERTY_TIMEOUT_MS;
    let last: unknown;
    for (const r of candidates) {
      try {
        const outcome = await r.connection.call({ kind: 'event-property', name, args: { event }, deadline, capability });
        return outcome.type === 'json' ? outcome.value : outcome;
      } catch (e) {
        // Another node may serve the event's source, or read the event where this one could not.
        if (!isInsightsError(e) || !['NOT_FOUND', 'INVALID_ARGUMENT', 'UNAVAILABLE'].includes(e.code)) throw e;
        last = e;
      }
    }
    throw last;
  }
}
