import { randomUUID } from 'node:crypto';
import type { JetStreamPublisher, PubAck } from './jetstream-publisher.ts';
import type { OutgoingMessage } from './outgoing-message.ts';
import { sendEach } from './per-message-publish.ts';
import type { PublishReport } from './publish-report.ts';

/** nats-server's limit on the messages of one atomic batch (ADR-50; `jetstream { limits { batch { max_msgs } } }`, 1,000 by default). */
export const MAX_ATOMIC_BATCH_MESSAGES = 1000;
/** How large the batches a node sends may be. */
export interface AtomicBatchLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

/**
 * A 1,000-event import chunk is two batches, so the window of unacknowledged publishes (1,024
 * messages, 4 MiB) holds two to four at once, and a stream's 50 batches in flight (the server's
 * limit, across every publisher) go round a dozen or more ingesting nodes. Large events cut a
 * batch by bytes first (48 KB events: 21 a batch), so a batch never overfills the window.
 */
export const DEFAULT_ATOMIC_BATCH_LIMITS: AtomicBatchLimits = Object.freeze({ maxMessages: 500, maxBytes: 1024 * 1024 });

const BATCH_ID = 'Nats-Batch-Id';
const BATCH_SEQUENCE = 'Nats-Batch-Sequence';
const BATCH_COMMIT = 'Nats-Batch-Commit';

/**
 * Sends messages as one JetStream atomic batch (ADR-50; nats-server 2.12.1+ and a stream with
 * `allow_atomic`): each message carries the batch id and its position, only the last asks for an
 * acknowledgement, and the server stores all of them or none when that last one commits the batch.
 * One acknowledgement per batch instead of one per message. Call after `publisher.room()`.
 *
 * The per-event duplicate window holds: at the commit the server checks every `Nats-Msg-Id`, and
 * refuses the whole batch if one was stored before or appears twice in it (10201), so a stored
 * batch holds no duplicate and its count is exact. A batch the server refuses for any reason (a
 * duplicate, a stream's 50 batches in flight, a message lost while the server restarted:
 * "incomplete"), or does not acknowledge in time, or acknowledges without its count (a server
 * that does not know batches stores them one by one) is sent again one message at a time: either
 * none of it was stored, or all of it was and the duplicate window drops and counts every copy.
 * Resolves once the batch is sent, with the report to come.
 */
export function sendAtomicBatch(
  publisher: JetStreamPublisher,
  messages: readonly OutgoingMessage[],
  headers?: Readonly<Record<string, string>>,
): Promise<PublishReport> {
  const id = randomUUID();
  const last = messages.length - 1;
  let bytes = 0;
  let commit: Promise<PubAck>;
  try {
    for (let i = 0; i < last; i++) {
      const m = messages[i]!;
      bytes += m.data.length;
      publisher.send(m.subject, m.data, m.msgId, { ...headers, [BATCH_ID]: id, [BATCH_SEQUENCE]: String(i + 1) });
    }
    const m = messages[last]!;
    bytes += m.data.length;
    commit = publisher.publish(
      m.subject,
      m.data,
      m.msgId,
      { ...headers, [BATCH_ID]: id, [BATCH_SEQUENCE]: String(last + 1), [BATCH_COMMIT]: '1' },
      { messages: messages.length, bytes },
    );
  } catch (e) {
    commit = Promise.reject(e as Error);
  }
  const report = commit.then(
    (ack) =>
      ack.batch === id && ack.count === messages.length
        ? { published: messages.length, duplicates: 0, lastSeq: ack.seq }
        : resendEach(publisher, messages, headers),
    () => resendEach(publisher, messages, headers),
  );
  // Observed by the caller's report; until then a failure must not count as unhandled.
  report.catch(() => undefined);
  return report;
}

async function resendEach(
  publisher: JetStreamPublisher,
  messages: readonly OutgoingMessage[],
  headers: Readonly<Record<string, string>> | undefined,
): Promise<PublishReport> {
  return (await sendEach(publisher, messages, headers)).report;
}
