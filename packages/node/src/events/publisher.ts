import type { EventEnvelope } from '@insights/sdk';
import { sendAtomicBatch } from './atomic-batch-publish.ts';
import type { JetStreamPublisher } from './jetstream-publisher.ts';
import type { OutgoingMessage } from './outgoing-message.ts';
import { sendEach } from './per-message-publish.ts';
import { addReports, type PublishReport } from './publish-report.ts';
import { subjectFor } from './subjects.ts';

/**
 * How envelopes go to JetStream: in atomic batches of `atomicBatchMessages` (one acknowledgement
 * per batch) where the stream allows them, else (0) one acknowledged publish per envelope.
 */
export interface EnvelopeSending {
  readonly publisher: JetStreamPublisher;
  readonly atomicBatchMessages: number;
}

/**
 * Hands envelopes to NATS in order, with their id as the message id (so re-sends within the
 * duplicate window are dropped), waiting for room in the publisher's window of unacknowledged
 * publishes: a batch larger than the window is sent as acknowledgements come back. Resolves once
 * every envelope is sent, with the reports to come (`acknowledged` adds them up).
 */
export async function sendEnvelopes(
  sending: EnvelopeSending,
  envelopes: readonly EventEnvelope[],
  headers?: Record<string, string>,
): Promise<Promise<PublishReport>[]> {
  const extra = headers !== undefined && Object.keys(headers).length > 0 ? headers : undefined;
  const { publisher, atomicBatchMessages: size } = sending;
  // A batch of one costs what a publish does: per message then (and always where batches are off).
  if (size < 2 || envelopes.length < 2) return [(await sendEach(publisher, envelopes.map(toMessage), extra)).report];
  const reports: Promise<PublishReport>[] = [];
  for (let i = 0; i < envelopes.length; i += size) {
    await publisher.room();
    reports.push(sendAtomicBatch(publisher, envelopes.slice(i, i + size).map(toMessage), extra));
  }
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
