import type { EventEnvelope } from '@insights/sdk';
import type { ModuleHost } from '../host.ts';
import { EventRouter } from './event-router.ts';
import { callProperty } from './property-call.ts';

export interface IngestReport {
  /** Raw events received. */
  readonly received: number;
  /** Envelopes produced (a raw event may yield several, e.g. an xAPI batch). */
  readonly accepted: number;
  /** Raw events that could not be normalised, with why (index into the input). */
  readonly rejected: readonly { index: number; message: string }[];
  /** Events each handler processed, by `<module>.<handler>` (direct delivery only). */
  readonly delivered: Readonly<Record<string, number>>;
}

/** Long enough for any offline computation; directly delivered handlers are not on a clock. */
const DIRECT_HANDLER_DEADLINE_MS = 24 * 3600_000;

/**
 * Events without a broker (local mode, or a node without NATS): the same normalisation and
 * filters as the JetStream path, delivered directly to each matching handler in order (one
 * batch per handler per ingest), then derived events (`ctx.emit`) until none are left.
 */
export class DirectDelivery {
  readonly #router: EventRouter;
  #emitted: EventEnvelope[] = [];

  readonly #hosts: ReadonlyMap<string, ModuleHost>;

  constructor(hosts: ReadonlyMap<string, ModuleHost>) {
    this.#hosts = hosts;
    this.#router = new EventRouter(hosts);
  }

  /** For the runtime environment: where `ctx.emit` sends derived events. */
  readonly emit = async (e: EventEnvelope): Promise<void> => {
    this.#emitted.push(e);
  };

  /** `mesh.events.property` in local mode: the same answers and errors as a node's. */
  readonly property = async (event: unknown, name: string): Promise<unknown> => {
    const outcome = await callProperty(this.#hosts, name, { event });
    return outcome.type === 'json' ? outcome.value : outcome;
  };

  /** Used by modules' `ctx.property`: the envelope is already normalised. */
  readonly envelopeProperty = (e: EventEnvelope, name: string): Promise<unknown> => this.#router.property(e, name);

  async ingest(raws: readonly unknown[]): Promise<IngestReport> {
    const { envelopes, errors } = await this.#router.normalise(raws);
    const delivered: Record<string, number> = {};
    let batch = envelopes;
    while (batch.length > 0) {
      await this.#deliver(batch, delivered);
      batch = this.#emitted;
      this.#emitted = [];
    }
    return { received: raws.length, accepted: envelopes.length, rejected: errors, delivered };
  }

  async #deliver(events: readonly EventEnvelope[], delivered: Record<string, number>): Promise<void> {
    const perHandler = new Map<string, { ref: ReturnType<EventRouter['handlers']>[number]; events: EventEnvelope[] }>();
    for (const e of events)
      for (const ref of this.#router.matching(e)) {
        const key = `${ref.module}.${ref.name}`;
        let slot = perHandler.get(key);
        if (slot === undefined) perHandler.set(key, (slot = { ref, events: [] }));
        slot.events.push(e);
      }
    const signal = new AbortController().signal;
    await Promise.all(
      [...perHandler].map(async ([key, { ref, events: evs }]) => {
        const n = await ref.host.handleEvents(ref.name, evs, { deadline: Date.now() + DIRECT_HANDLER_DEADLINE_MS, signal });
        delivered[key] = (delivered[key] ?? 0) + n;
      }),
    );
  }
}
