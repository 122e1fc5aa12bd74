import type { EventEnvelope } from '@insights/sdk';
import type { JetStreamPublisher, PubAck } from './jetstream-publisher.ts';
import { subjectFor } from './subjects.ts';

export interface PublishReport {
  published: number;
  /** Events JetStream dropped as re-sent within the duplicate window. */
  duplicates: number;
  /** Highest stream sequence written (0 when nothing was). */
  lastSeq: number;
}

/**
 * Hands envelopes to NATS in order, with their id as the message id (so re-sends within the
 * duplicate window are dropped), waiting for room in the publisher's window of unacknowledged
 * publishes: a batch larger than the window is sent as acknowledgements come back. Resolves once
 * every envelope is sent, with the acknowledgements to come (`acknowledged` adds them up).
 */
export async function sendEnvelopes(
  publisher: JetStreamPublisher,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<Promise<PubAck>[]> {
  const extra = headers !== undefined && Object.keys(headers).length > 0 ? headers : undefined;
  const acks: Promise<PubAck>[] = [];
  for (const e of envelopes) {
    await publisher.room();
    const ack = publisher.publish(subjectFor(e), Buffer.from(JSON.stringify(e)), e.id, extra);
    // Observed by `acknowledged` later; until then a failure must not count as unhandled (it would end the process).
    ack.catch(() => undefined);
    acks.push(ack);
  }
  return acks;
}

/** The report of sent envelopes, once JetStream has acknowledged every one; rejects with the first failure. */
export async function acknowledged(acks: readonly Promise<PubAck>[]): Promise<PublishReport> {
  const report: PublishReport = { published: 0, duplicates: 0, lastSeq: 0 };
  for (const ack of await Promise.all(acks)) {
    if (ack.duplicate) report.duplicates++;
    else report.published++;
    if (ack.seq > report.lastSeq) report.lastSeq = ack.seq;
  }
  return report;
}

/** Publishes envelopes and resolves once JetStream has acknowledged every one. */
export async function publishEnvelopes(
  publisher: JetStreamPublisher,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<PublishReport> {
  return acknowledged(await sendEnvelopes(publisher, envelopes, headers));
}
