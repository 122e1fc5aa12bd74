import type { EventEnvelope } from '@insights/sdk';
import type { JetStreamPublisher } from './jetstream-publisher.ts';
import { subjectFor } from './subjects.ts';

export interface PublishReport {
  published: number;
  /** Events JetStream dropped as re-sent within the duplicate window. */
  duplicates: number;
  /** Highest stream sequence written (0 when nothing was). */
  lastSeq: number;
}

/** Publishes awaiting acknowledgement at once: enough to keep JetStream busy, bounded so memory is. */
const IN_FLIGHT = 4096;

/**
 * Publishes envelopes to the event stream with their id as the message id (so re-sends within
 * the duplicate window are dropped), keeping many publishes in flight instead of one round trip
 * per event. Resolves once JetStream has acknowledged every one.
 */
export async function publishEnvelopes(
  publisher: JetStreamPublisher,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<PublishReport> {
  const report: PublishReport = { published: 0, duplicates: 0, lastSeq: 0 };
  const encoder = new TextEncoder();
  const extra = headers !== undefined && Object.keys(headers).length > 0 ? headers : undefined;
  let next = 0;
  const worker = async () => {
    while (next < envelopes.length) {
      const e = envelopes[next++]!;
      const ack = await publisher.publish(subjectFor(e), encoder.encode(JSON.stringify(e)), e.id, extra);
      if (ack.duplicate) report.duplicates++;
      else report.published++;
      if (ack.seq > report.lastSeq) report.lastSeq = ack.seq;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, envelopes.length) }, worker));
  return report;
}
