import type { EventEnvelope } from '@insights/sdk';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { handlerLabel, type DeliveryDeps } from './delivery.ts';
import { ONLY_CONSUMER_HEADER, ONLY_HANDLER_HEADER, subjectFor } from './subjects.ts';

/**
 * An event of a page that its handler failed alone cannot go back to the stream by itself (a
 * page is acknowledged whole). It is published again on its own keyed subject, for this handler
 * and this durable consumer only (every other reader passes it by), and takes the per-event
 * retries and dead letter from there. Its id is the consumer's and the event's, so a page handled
 * twice sends it once. Resolves once JetStream has stored it: whether it could.
 */
export async function republishAlone(deps: DeliveryDeps, durable: string, e: EventEnvelope, error: string): Promise<boolean> {
  const label = handlerLabel(deps.handler);
  const headers = natsHeaders();
  headers.set(ONLY_HANDLER_HEADER, label);
  headers.set(ONLY_CONSUMER_HEADER, durable);
  try {
    await deps.js.publish(subjectFor(e), Buffer.from(JSON.stringify(e)), { msgID: `${durable}:${e.id}`, headers });
  } catch (err) {
    deps.log.warn('an event of a page failed and could not be re-published alone; the page comes again', {
      handler: label,
      event: e.id,
      error: (err as Error).message,
    });
    return false;
  }
  deps.log.warn('event handler failed on an event of a page; it is retried alone', { handler: label, event: e.id, error });
  return true;
}
