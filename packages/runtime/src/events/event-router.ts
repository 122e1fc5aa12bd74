import { InsightsError, type EventEnvelope } from '@insights/sdk';
import type { ModuleHost } from '../host.ts';
import { asEnvelope } from './envelope-shape.ts';
import { MAX_EVENT_HOPS } from './hops.ts';
import { anyTypeMatches } from './subject-match.ts';

/** An event handler somewhere in this process's hosts, with the parts of its filter the router can apply. */
export interface HandlerRef {
  readonly module: string;
  readonly name: string;
  readonly host: ModuleHost;
  readonly types: readonly string[];
  readonly sources: readonly string[];
  readonly meta: Record<string, unknown>;
}

export interface NormaliseReport {
  readonly envelopes: EventEnvelope[];
  /** Raw events that could not be normalised, by their index in the input. */
  readonly errors: { index: number; message: string }[];
}

/**
 * The event plumbing shared by nodes and local mode: normalises raw events through the data-layer
 * modules, finds the handlers whose filters match, and computes event properties by name and source.
 * Transport (JetStream consumers, or direct delivery in local mode) is the caller's business.
 */
export class EventRouter {
  constructor(private readonly hosts: ReadonlyMap<string, ModuleHost>) {}

  handlers(): HandlerRef[] {
    const out: HandlerRef[] = [];
    for (const [module, host] of this.hosts)
      for (const a of host.manifest.analytics)
        if (a.kind === 'event-handler')
          out.push({
            module,
            name: a.name,
            host,
            types: (a.meta.types as string[] | undefined) ?? ['>'],
            sources: (a.meta.sources as string[] | undefined) ?? [],
            meta: a.meta,
          });
    return out;
  }

  /** Raw events -> envelopes: each module's data layer in load order, then envelope-shaped input as is. */
  async normalise(raws: readonly unknown[]): Promise<NormaliseReport> {
    const pending = new Map<number, unknown>(raws.map((r, i) => [i, r]));
    const results = new Map<number, EventEnvelope[]>();
    const errors: { index: number; message: string }[] = [];
    for (const host of this.hosts.values()) {
      if (pending.size === 0) break;
      if (!host.manifest.analytics.some((a) => a.kind === 'normaliser')) continue;
      const indexes = [...pending.keys()];
      const outcomes = await host.normalise(indexes.map((i) => pending.get(i)));
      outcomes.forEach((o, k) => {
        const index = indexes[k] as number;
        if (o.type === 'unclaimed') return;
        pending.delete(index);
        if (o.type === 'ok') results.set(index, [...o.envelopes]);
        else errors.push({ index, message: `${host.manifest.name}: ${o.message}` });
      });
    }
    for (const [index, raw] of pending) {
      const e = asEnvelope(raw);
      if (e !== undefined) results.set(index, [e]);
      else
        errors.push({
          index,
          message: `no data-layer module accepts this event (loaded: ${this.#normaliserModules().join(', ') || 'none'}); send an envelope {time, source, type, payload} or load a data layer such as modules/edx`,
        });
    }
    const envelopes = [...results.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, e]) => e);
    errors.sort((a, b) => a.index - b.index);
    return { envelopes, errors };
  }

  /** Handlers whose declared types and sources match (their `where` predicate runs in their own module). */
  matching(e: EventEnvelope): HandlerRef[] {
    if ((e.hops ?? 0) > MAX_EVENT_HOPS) return [];
    return this.handlers().filter(
      (h) => anyTypeMatches(h.types, e.type) && (h.sources.length === 0 || h.sources.includes(e.source)),
    );
  }

  /**
   * Computes property `name` (its name, an alias, or `<module>.<name>`) for an event with the
   * module that serves it for the event's source.
   */
  async property(event: EventEnvelope, name: string): Promise<unknown> {
    for (const [module, host] of this.hosts)
      for (const a of host.manifest.analytics)
        if (a.kind === 'event-property' && (a.name === name || a.aliases.includes(name) || `${module}.${a.name}` === name)) {
          const sources = (a.meta.sources as string[] | undefined) ?? [];
          if (sources.length === 0 || sources.includes(event.source)) return host.computeProperty(a.name, event);
        }
    throw new InsightsError('NOT_FOUND', `no module serves event property "${name}" for source "${event.source}"`);
  }

  #normaliserModules(): string[] {
    return [...this.hosts.values()]
      .filter((h) => h.manifest.analytics.some((a) => a.kind === 'normaliser'))
      .map((h) => h.manifest.name);
  }
}
