import type { EventEnvelope } from '@insights/sdk';
import { headers as natsHeaders, type JetStreamClient } from 'nats';
import { subjectFor } from './subjects.ts';

export interface PublishReport {
  published: number;
  /** Events JetStream dropped as re-sent within the duplicate window. */
  duplicates: number;
  /** Highest stream sequence written (0 when nothing was). */
  lastSeq: number;
}

const IN_FLIGHT = 512;

/**
 * Publishes envelopes to the event stream with their id as the message id (so re-sends within
 * the duplicate window are dropped), keeping many publishes in flight instead of one round trip
 * per event.
 */
export async function publishEnvelopes(
  js: JetStreamClient,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<PublishReport> {
  const report: PublishReport = { published: 0, duplicates: 0, lastSeq: 0 };
  const encoder = new TextEncoder();
  let next = 0;
  const hasHeaders = headers !== undefined && Object.keys(headers).length > 0;
  const worker = async () => {
    while (next < envelopes.length) {
      const e = envelopes[next++] as EventEnvelope;
      const opts: Parameters<JetStreamClient['publish']>[2] = { msgID: e.id };
      if (hasHeaders) {
        const h = natsHeaders();
        for (const [k, v] of Object.entries(headers)) h.set(k, v);
        opts.headers = h;
      }
      const ack = await js.publish(subjectFor(e), encoder.encode(JSON.stringify(e)), opts);
      if (ack.duplicate) report.duplicates++;
      else report.published++;
      if (ack.seq > report.lastSeq) report.lastSeq = ack.seq;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, envelopes.length) }, worker));
  return report;
}
