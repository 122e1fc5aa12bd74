import { InsightsError } from '@insights/sdk';
import { DeadlineWheel } from '@insights/sdk/internal';
import { createInbox, headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** JetStream's acknowledgement of one stored message. */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  /** Dropped as a re-send within the stream's duplicate window. */
  readonly duplicate: boolean;
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

  /** Publishes awaiting acknowledgement now. */
  get outstanding(): number {
    return this.#pending.size;
  }

  /** Resolves at once while the window of unacknowledged publishes has room, else as soon as it has. */
  room(): Promise<void> {
    if (this.#hasRoom() && this.#waiting.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Stores `data` on `subject` with `msgId` as its de-duplication id; resolves with JetStream's ack. */
  publish(subject: string, data: Uint8Array, msgId: string, extraHeaders?: Readonly<Record<string, string>>): Promise<PubAck> {
    const headers = natsHeaders();
    headers.set(MSG_ID_HEADER, msgId);
    if (extraHeaders !== undefined) for (const k in extraHeaders) headers.set(k, extraHeaders[k]!);
    const token = ++this.#next;
    return new Promise<PubAck>((resolve, reject) => {
      const p = new PendingPublish(token, subject, data.length, Date.now() + this.timeoutMs, resolve, reject);
      this.#pending.set(token, p);
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
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; description?: string } };
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
          `JetStream refused a message on ${p.subject}: ${ack.error?.description ?? 'no stream in its acknowledgement'}`,
        ),
      );
    p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
  }

  /** Forgets a pending publish and lets waiting callers into the freed room; false if it was not pending. */
  #settle(token: number): boolean {
    const p = this.#pending.get(token);
    if (p === undefined) return false;
    this.#pending.delete(token);
    this.#outstandingBytes -= p.bytes;
    this.#admit();
    return true;
  }

  #hasRoom(): boolean {
    return this.#pending.size < this.maxOutstanding && this.#outstandingBytes < this.maxOutstandingBytes;
  }

  /** Lets waiting callers go while there is room (each publishes at least one message before asking again). */
  #admit(): void {
    for (let free = this.maxOutstanding - this.#pending.size; free > 0 && this.#waiting.length > 0 && this.#hasRoom(); free--)
      this.#waiting.shift()!();
  }

  #failAll(e: InsightsError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    this.#outstandingBytes = 0;
    this.#admit();
    for (const p of all) {
      this.#deadlines.delete(p);
      p.reject(e);
    }
  }
}
