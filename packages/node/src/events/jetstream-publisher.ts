import { InsightsError } from '@insights/sdk';
import { DeadlineWheel } from '@insights/sdk/internal';
import {
  createInbox,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** JetStream's acknowledgement of one stored message. */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  /** Dropped as a re-send within the stream's duplicate window. */
  readonly duplicate: boolean;
  /** An atomic batch's commit: the batch's id and how many messages it stored (`seq` is the last one's). */
  readonly batch?: string;
  readonly count?: number;
}

/** What one acknowledgement stands for in the window of unacknowledged publishes. */
export interface PublishWeight {
  readonly messages: number;
  readonly bytes: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Publishes awaiting JetStream's acknowledgement at once: enough to keep it busy, few enough that memory stays flat. */
export const DEFAULT_MAX_OUTSTANDING = 1024;
/** Their bytes: large events fill the window by size first (they may wait in this process's socket buffer). */
export const DEFAULT_MAX_OUTSTANDING_BYTES = 4 * 1024 * 1024;
const MSG_ID_HEADER = 'Nats-Msg-Id';

class PendingPublish {
  constructor(
    readonly token: number,
    readonly subject: string,
    readonly messages: number,
    readonly bytes: number,
    readonly deadline: number,
    readonly resolve: (ack: PubAck) => void,
    readonly reject: (e: InsightsError) => void,
  ) {}
}

/**
 * Publishes to JetStream with many messages in flight and every acknowledgement arriving on one
 * shared reply subscription (what the Go client calls PublishAsync). nats.js's `js.publish` is a
 * request per message, each with its own inbox routing, timer and pre-built timeout error: that
 * machinery was a third of a node's CPU when ingesting (the NatsError constructor alone 14%).
 * Here a publish costs its headers, one pending entry and a deadline-wheel slot.
 *
 * Flow control: at most `maxOutstanding` publishes (and about `maxOutstandingBytes`) await their
 * acknowledgement; callers that publish many await `room()` first, so a fast producer waits for
 * JetStream instead of queueing messages in this process.
 */
export class JetStreamPublisher {
  readonly #prefix = `${createInbox()}.`;
  readonly #sub: Subscription;
  readonly #pending = new Map<number, PendingPublish>();
  readonly #deadlines: DeadlineWheel<PendingPublish>;
  /** Callers waiting for the window to open, in order. */
  readonly #waiting: (() => void)[] = [];
  #next = 0;
  #outstandingMessages = 0;
  #outstandingBytes = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
    readonly maxOutstanding = DEFAULT_MAX_OUTSTANDING,
    readonly maxOutstandingBytes = DEFAULT_MAX_OUTSTANDING_BYTES,
  ) {
    this.#sub = nc.subscribe(`${this.#prefix}*`, { callback: (err, msg) => this.#onAck(err, msg) });
    this.#deadlines = new DeadlineWheel(100, (p) => {
      if (this.#settle(p.token))
        p.reject(
          new InsightsError('UNAVAILABLE', `JetStream did not acknowledge a message on ${p.subject} within ${this.timeoutMs} ms`),
        );
    });
    void nc
      .closed()
      .then(() => this.#failAll(new InsightsError('UNAVAILABLE', 'NATS connection closed before JetStream acknowledged')));
  }

  /** Messages awaiting acknowledgement now (an atomic batch counts all its messages until its commit is acknowledged). */
  get outstanding(): number {
    return this.#outstandingMessages;
  }

  /** Resolves at once while the window of unacknowledged publishes has room, else as soon as it has. */
  room(): Promise<void> {
    if (this.#hasRoom() && this.#waiting.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Stores `data` on `subject` with `msgId` as its de-duplication id; resolves with JetStream's ack.
   * `weight` is what the acknowledgement stands for in the window (an atomic batch's commit: the
   * whole batch).
   */
  publish(
    subject: string,
    data: Uint8Array,
    msgId: string,
    extraHeaders?: Readonly<Record<string, string>>,
    weight: PublishWeight = { messages: 1, bytes: data.length },
  ): Promise<PubAck> {
    const headers = messageHeaders(msgId, extraHeaders);
    const token = ++this.#next;
    return new Promise<PubAck>((resolve, reject) => {
      const p = new PendingPublish(token, subject, weight.messages, weight.bytes, Date.now() + this.timeoutMs, resolve, reject);
      this.#pending.set(token, p);
      this.#outstandingMessages += p.messages;
      this.#outstandingBytes += p.bytes;
      this.#deadlines.add(p);
      try {
        this.nc.publish(subject, data, { reply: `${this.#prefix}${token}`, headers });
      } catch (e) {
        this.#settle(token);
        this.#deadlines.delete(p);
        reject(new InsightsError('UNAVAILABLE', `cannot publish to NATS: ${(e as Error).message}`));
      }
    });
  }

  /**
   * Sends a message without asking for an acknowledgement: a message of an atomic batch, which
   * JetStream acknowledges with the batch's commit (sent with `publish`). Throws UNAVAILABLE when
   * the connection cannot take it.
   */
  send(subject: string, data: Uint8Array, msgId: string, extraHeaders: Readonly<Record<string, string>>): void {
    try {
      this.nc.publish(subject, data, { headers: messageHeaders(msgId, extraHeaders) });
    } catch (e) {
      throw new InsightsError('UNAVAILABLE', `cannot publish to NATS: ${(e as Error).message}`);
    }
  }

  close(): void {
    this.#sub.unsubscribe();
    this.#failAll(new InsightsError('UNAVAILABLE', 'publisher closed'));
  }

  #onAck(err: Error | null, msg: Msg): void {
    if (err !== null) return this.#failAll(new InsightsError('UNAVAILABLE', `JetStream acknowledgements lost: ${err.message}`));
    const token = Number(msg.subject.slice(this.#prefix.length));
    const p = this.#pending.get(token);
    if (p === undefined) return; // timed out meanwhile
    this.#settle(token);
    this.#deadlines.delete(p);
    if (msg.headers?.hasError === true)
      // 503 "no responders": no stream listens on the subject.
      return p.reject(
        new InsightsError(
          'UNAVAILABLE',
          `no JetStream stream stores ${p.subject} (${msg.headers.code} ${msg.headers.description})`,
        ),
      );
    let ack: {
      stream?: string;
      seq?: number;
      duplicate?: boolean;
      batch?: string;
      count?: number;
      error?: { code?: number; err_code?: number; description?: string };
    };
    try {
      ack = msg.json();
    } catch {
      return p.reject(
        new InsightsError('INTERNAL', `JetStream answered a publish on ${p.subject} with something that is not JSON`),
      );
    }
    if (ack.error !== undefined || typeof ack.stream !== 'string' || typeof ack.seq !== 'number')
      return p.reject(
        new InsightsError(
          'UNAVAILABLE',
          `JetStream refused a message on ${p.subject}: ${ack.error?.description ?? 'no stream in its acknowledgement'}` +
            (ack.error?.err_code === undefined ? '' : ` (${ack.error.err_code})`),
        ),
      );
    p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true, batch: ack.batch, count: ack.count });
  }

  /** Forgets a pending publish and lets waiting callers into the freed room; false if it was not pending. */
  #settle(token: number): boolean {
    const p = this.#pending.get(token);
    if (p === undefined) return false;
    this.#pending.delete(token);
    this.#outstandingMessages -= p.messages;
    this.#outstandingBytes -= p.bytes;
    this.#admit();
    return true;
  }

  #hasRoom(): boolean {
    return this.#outstandingMessages < this.maxOutstanding && this.#outstandingBytes < this.maxOutstandingBytes;
  }

  /** Lets waiting callers go while there is room (each publishes at least one message, or one batch, before asking again). */
  #admit(): void {
    for (
      let free = this.maxOutstanding - this.#outstandingMessages;
      free > 0 && this.#waiting.length > 0 && this.#hasRoom();
      free--
    )
      this.#waiting.shift()!();
  }

  #failAll(e: InsightsError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    this.#outstandingMessages = 0;
    this.#outstandingBytes = 0;
    this.#admit();
    for (const p of all) {
      this.#deadlines.delete(p);
      p.reject(e);
    }
  }
}

function messageHeaders(msgId: string, extra: Readonly<Record<string, string>> | undefined): MsgHdrs {
  const headers = natsHeaders();
  headers.set(MSG_ID_HEADER, msgId);
  if (extra !== undefined) for (const k in extra) headers.set(k, extra[k]!);
  return headers;
}
