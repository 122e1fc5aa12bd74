import type { JetStreamPublisher, PubAck } from './jetstream-publisher.ts';
import type { OutgoingMessage } from './outgoing-message.ts';
import { reportOfAcks, type PublishReport } from './publish-report.ts';

/** Messages handed to NATS, and what JetStream will make of them (wrapped: a promise in a promise would be awaited at once). */
export interface Sent {
  readonly report: Promise<PublishReport>;
}

/**
 * Sends messages one JetStream publish each, in order, waiting for room in the publisher's window
 * before each (flow control). Resolves once all are sent, with the report to come once JetStream
 * has acknowledged every one (it rejects with the first failure). Each message gets its own ack,
 * so duplicates are counted one by one (a page's as all its events).
 */
export async function sendEach(
  publisher: JetStreamPublisher,
  messages: readonly OutgoingMessage[],
  headers?: Readonly<Record<string, string>>,
): Promise<Sent> {
  const acks: Promise<PubAck>[] = [];
  for (const m of messages) {
    await publisher.room();
    const ack = publisher.publish(m.subject, m.data, m.msgId, headers);
    // Observed through the report; until then a failure must not count as unhandled (it would end the process).
    ack.catch(() => undefined);
    acks.push(ack);
  }
  const report = Promise.all(acks).then((a) =>
    reportOfAcks(
      a,
      messages.map((m) => m.events ?? 1),
    ),
  );
  report.catch(() => undefined);
  return { report };
}
