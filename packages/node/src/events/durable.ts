import { DeliverPolicy, type ConsumerConfig, type JetStreamManager } from 'nats';

/**
 * Creates a durable consumer, or, when it exists (another replica made it, or this node before a
 * restart), keeps its position and updates only what may change.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
    await jsm.consumers.update(stream, config.durable_name, {
      filter_subject: config.filter_subject,
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
      description: config.description,
    });
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw e;
    await jsm.consumers.add(stream, config).catch(async (err: Error) => {
      if (!/already|exists/i.test(err.message)) throw err; // a replica created it at the same moment
    });
  }
}

/** Where a newly added handler starts reading the stream (`startFrom`). */
export function startPolicy(startFrom: unknown): Partial<ConsumerConfig> {
  if (startFrom === 'now') return { deliver_policy: DeliverPolicy.New };
  if (typeof startFrom === 'object' && startFrom !== null && typeof (startFrom as { time?: unknown }).time === 'string')
    return {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date((startFrom as { time: string }).time).toISOString(),
    };
  return { deliver_policy: DeliverPolicy.All };
}
