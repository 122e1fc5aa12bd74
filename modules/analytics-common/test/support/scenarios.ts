/**
 * The ways events reach a handler in production, for "realtime equals replay" tests: all at
 * once (a replay), one by one (realtime), in small batches out of order (several producers), and
 * with redeliveries (a broker retrying after a lost acknowledgement).
 */
import type { EventEnvelope, ModuleDefinition } from '@insights/sdk';
import { shuffled, withRedeliveries } from './data.ts';
import { moduleHarness, type ModuleHarness } from './harness.ts';

export interface DeliveryScenario {
  readonly name: string;
  readonly arrange: (events: readonly EventEnvelope[]) => EventEnvelope[];
  readonly batchSize?: number;
}

export const DELIVERY_SCENARIOS: readonly DeliveryScenario[] = [
  { name: 'replay in one batch', arrange: (e) => [...e] },
  { name: 'one by one', arrange: (e) => [...e], batchSize: 1 },
  { name: 'shuffled, batches of 7', arrange: (e) => shuffled(e, 7), batchSize: 7 },
  { name: 'shuffled with redeliveries, batches of 3', arrange: (e) => shuffled(withRedeliveries(e), 3), batchSize: 3 },
];

/** Runs every scenario on a fresh database and returns what `read` sees after each. */
export async function underEveryScenario<T>(
  def: ModuleDefinition,
  events: readonly EventEnvelope[],
  read: (h: ModuleHarness) => Promise<T>,
  scenarios: readonly DeliveryScenario[] = DELIVERY_SCENARIOS,
): Promise<{ scenario: string; result: T }[]> {
  const out: { scenario: string; result: T }[] = [];
  for (const s of scenarios) {
    const h = await moduleHarness(def);
    try {
      await h.deliver(s.arrange(events), s.batchSize === undefined ? {} : { batchSize: s.batchSize });
      out.push({ scenario: s.name, result: await read(h) });
    } finally {
      await h.close();
    }
  }
  return out;
}
