import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * A node with the embedded database reads the event stream with durables of its own, from the
 * stream's start: a scenario's new node would handle every event left by the ones before it (and
 * count them), so each starts on an empty stream.
 */
export async function emptyEventStream(natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    await (await jetstreamManager(nc)).streams.delete('INSIGHTS_EVENTS').catch(() => false); // none yet
  } finally {
    await nc.close();
  }
}
