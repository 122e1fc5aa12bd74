import type { Logger } from '@insights/runtime';
import type { AuditBacklog, AuditMessage } from './audit-backlog.ts';
import type { JetStreamPublisher } from './events/jetstream-publisher.ts';

/**
 * Messages awaiting JetStream's acknowledgement at once. Each costs the stream an fsync
 * (`sync_interval: always`) and the server its per-message work; while one is out, records
 * gather into the next, so the slower JetStream is, the fuller each message (up to
 * MAX_RECORDS_PER_MESSAGE). One at a time: with 4, a call load of 30-40k calls/s sent messages
 * of a few records each and nats-server took ~27% of a core against ~18% (bench/call-path.ts
 * --nats, alternating pairs: 30,240 / 35,927 calls/s with 4, 38,941 / 43,635 with 1).
 */
const MESSAGES_IN_FLIGHT = 1;
const RETRY_AFTER_MS = 1000;
/**
 * A message that is not full waits this long for more records: a node serving calls one after
 * another otherwise sends a message (and costs the server an fsync) per call. Records are in
 * the backlog meanwhile, so its bound and `whenUnrecorded` hold as before.
 */
const GATHER_MS = 10;
/** Records that make a message worth sending at once. */
const SEND_AT_ONCE_RECORDS = 64;

/**
 * Moves the backlog's records into the audit stream, many to a message. A message JetStream did
 * not acknowledge is sent again, the same bytes under the same id (Nats-Msg-Id), so a retry whose
 * first try was stored after all is not stored twice; records stay in the backlog until stored.
 */
export class AuditShipper {
  #inFlight = 0;
  /** Messages to send again, oldest first, once the retry pause is over. */
  readonly #retries: AuditMessage[] = [];
  #timer: NodeJS.Timeout | undefined;
  #gather: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly publisher: JetStreamPublisher,
    private readonly subject: string,
    private readonly backlog: AuditBacklog,
    private readonly log: Logger,
  ) {}

  /** Sends what waits, as far as the window allows; call after records were added. */
  pump(): void {
    if (this.#closed || this.#timer !== undefined || this.#inFlight >= MESSAGES_IN_FLIGHT) return;
    if (this.#retries.length === 0 && this.backlog.queuedRecords < SEND_AT_ONCE_RECORDS) {
      if (this.#gather === undefined && this.backlog.hasQueued) {
        this.#gather = setTimeout(() => {
          this.#gather = undefined;
          this.#sendWaiting();
        }, GATHER_MS);
        this.#gather.unref();
      }
      return;
    }
    this.#sendWaiting();
  }

  /** Sends what waits now, as far as the window allows. */
  #sendWaiting(): void {
    if (this.#closed || this.#timer !== undefined) return;
    clearTimeout(this.#gather);
    this.#gather = undefined;
    while (this.#inFlight < MESSAGES_IN_FLIGHT) {
      const m = this.#retries.shift() ?? this.backlog.take();
      if (m === undefined) return;
      this.#send(m);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#gather);
  }

  #send(m: AuditMessage): void {
    this.#inFlight++;
    this.publisher.publish(this.subject, m.data, m.msgId).then(
      () => {
        this.#inFlight--;
        this.backlog.stored(m);
        this.pump();
      },
      (e: unknown) => {
        this.#inFlight--;
        this.#retries.push(m);
        this.#pauseThenRetry(e as Error);
      },
    );
  }

  /** After a failure nothing is sent for a second (one warning per pause); then retries go first. */
  #pauseThenRetry(e: Error): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.log.warn('audit records not stored; retrying in a second', { error: e.message, backlog: this.backlog.counts() });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.pump();
    }, RETRY_AFTER_MS);
    this.#timer.unref();
  }
}
