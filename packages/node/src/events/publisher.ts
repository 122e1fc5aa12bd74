import type { EventEnvelope } from '@insights/sdk';
import { MAX_ATOMIC_BATCH_MESSAGES, sendAtomicBatch, type AtomicBatchLimits } from './atomic-batch-publish.ts';
import type { PageLimits } from './event-page.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';
import type { OutgoingMessage } from './outgoing-message.ts';
import { pagedMessages } from './page-grouping.ts';
import { sendEach } from './per-message-publish.ts';
import { addReports, type PublishReport } from './publish-report.ts';
import { subjectFor } from './subjects.ts';

/**
 * How envelopes go to JetStream: a batch of them in pages within `pages` (many events of a
 * source per message: event-page.ts) when set; single events in atomic batches within
 * `atomicBatch` (one acknowledgement per batch) where the stream allows them, else (undefined)
 * one acknowledged publish per envelope.
 */
export interface EnvelopeSending {
  readonly publisher: JetStreamPublisher;
  readonly atomicBatch: AtomicBatchLimits | undefined;
  readonly pages?: PageLimits | undefined;
}

/**
 * Hands envelopes to NATS in order, with their id as the message id (a page's: from its events'
 * ids), so re-sends within the duplicate window are dropped, waiting for room in the publisher's
 * window of unacknowledged publishes: a batch larger than the window is sent as acknowledgements
 * come back. Resolves once every envelope is sent, with the reports to come (`acknowledged` adds
 * them up).
 */
export async function sendEnvelopes(
  sending: EnvelopeSending,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<Promise<PublishReport>[]> {
  const extra = headers !== undefined && Object.keys(headers).length > 0 ? headers : undefined;
  const { publisher, atomicBatch: limits } = sending;
  const messages =
    sending.pages !== undefined && envelopes.length > 1 ? pagedMessages(envelopes, sending.pages) : envelopes.map(toMessage);
  if (limits === undefined) return [(await sendEach(publisher, messages, extra)).report];
  const maxMessages = Math.min(limits.maxMessages, MAX_ATOMIC_BATCH_MESSAGES);
  const reports: Promise<PublishReport>[] = [];
  let batch: OutgoingMessage[] = [];
  let bytes = 0;
  const send = async () => {
    await publisher.room();
    // A batch of one costs what a publish does.
    reports.push(
      batch.length === 1 ? (await sendEach(publisher, batch, extra)).report : sendAtomicBatch(publisher, batch, extra),
    );
    batch = [];
    bytes = 0;
  };
  for (const m of messages) {
    if ((m.events ?? 1) > 1) {
      // A page is one message, one fsync: sent on its own, after the single events before it.
      if (batch.length > 0) await send();
      reports.push((await sendEach(publisher, [m], extra)).report);
      continue;
    }
    batch.push(m);
    bytes += m.data.length;
    if (batch.length >= maxMessages || bytes >= limits.maxBytes) await send();
  }
  if (batch.length > 0) await send();
  return reports;
}

/** The report of sent envelopes, once JetStream has acknowledged every one; rejects with the first failure. */
export async function acknowledged(reports: readonly Promise<PublishReport>[]): Promise<PublishReport> {
  return addReports(await Promise.all(reports));
}

/** Publishes envelopes and resolves once JetStream has acknowledged every one. */
export async function publishEnvelopes(
  sending: EnvelopeSending,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<PublishReport> {
  return acknowledged(await sendEnvelopes(sending, envelopes, headers));
}

function toMessage(e: EventEnvelope): OutgoingMessage {
  return { subject: subjectFor(e), data: Buffer.from(JSON.stringify(e)), msgId: e.id };
}
