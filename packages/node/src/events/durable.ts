import { DeliverPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';

/**
 * Creates a durable consumer, or, when it exists (another replica made it, or this node before a
 * restart), keeps its position and updates only what may change: its filters too (a durable of
 * an older version has one broad `filter_subject`; the update replaces it with the list).
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
      filter_subjects: config.filter_subjects,
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

/**
 * Waits, until `until` (ms since epoch) at most, for a durable to hold nothing unacknowledged.
 * What a reader that is gone (killed, or whose lease ran out) held comes back only once its ack
 * wait runs out, and then before anything newer: a successor that waits handles those events
 * first, while a handler's memory of recent events (`updateOnce`) still covers those it had
 * already applied. Resolves with the last info when events are still held.
 */
export async function waitForUnacknowledged(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  until: number,
  cancelled: () => boolean,
): Promise<ConsumerInfo | undefined> {
  let info: ConsumerInfo | undefined;
  while (!cancelled() && Date.now() < until) {
    info = await jsm.consumers.info(stream, durable);
    if (info.num_ack_pending === 0) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
  return info;
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
