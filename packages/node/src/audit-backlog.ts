import { randomBytes } from 'node:crypto';
import type { Logger } from '@insights/runtime';
import { InsightsError } from '@insights/sdk';

/** Records per message, and its bytes: well under NATS's default max_payload (1 MiB), large enough that one fsync stores many. */
export const MAX_RECORDS_PER_MESSAGE = 1000;
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** What happens to a call the audit cannot record (audit.whenUnrecorded). */
export type WhenUnrecorded = 'refuse' | 'allow';

/** One message of records (one record alone, or several as a JSON array), sent and, on failure, re-sent with the same id: JetStream stores it once. */
export interface AuditMessage {
  readonly msgId: string;
  readonly data: Uint8Array;
  readonly records: number;
  readonly bytes: number;
}

/** What /metrics reports of the audit trail. */
export interface AuditCounts {
  readonly published: number;
  readonly backlogRecords: number;
  readonly backlogBytes: number;
  readonly dropped: number;
  readonly refusedCalls: number;
}

/**
 * The records a node holds until JetStream has stored them, bounded in bytes. At the bound
 * (`maxBytes`: NATS slow or away) the operator's `whenUnrecorded` applies: `refuse` (the default,
 * fail closed) refuses new calls, while records of calls already running and of refusals are
 * still kept, up to twice the bound; `allow` serves calls and drops their records, counted.
 */
export class AuditBacklog {
  /** Encoded records not yet in a message. */
  #queued: string[] = [];
  /** Every record held: queued or in a message JetStream has not acknowledged. */
  #records = 0;
  #bytes = 0;
  #published = 0;
  #dropped = 0;
  #refusedCalls = 0;
  /** Since the backlog last filled up (for the warning, and the note when it drains). */
  #full: { dropped: number; refused: number } | undefined;

  constructor(
    readonly maxBytes: number,
    readonly whenUnrecorded: WhenUnrecorded,
    private readonly log: Logger,
  ) {}

  /** The error a new call gets while the backlog is full and the operator wants calls refused; else undefined. */
  refusal(): InsightsError | undefined {
    if (this.whenUnrecorded === 'allow' || this.#bytes < this.maxBytes) return undefined;
    this.#refusedCalls++;
    this.#filled().refused++;
    return new InsightsError(
      'UNAVAILABLE',
      `the audit trail is unreachable: ${this.#records} records (${this.#bytes} bytes, audit.maxBacklogBytes) wait for NATS, ` +
        'and this node serves no call it cannot record; check NATS and the audit stream, retry on another node, ' +
        'or set audit.whenUnrecorded: allow to serve calls without records',
    );
  }

  /** Holds an encoded record; false when it was dropped (the backlog is full). */
  add(json: string): boolean {
    const bytes = Buffer.byteLength(json);
    const bound = this.whenUnrecorded === 'refuse' ? 2 * this.maxBytes : this.maxBytes;
    if (this.#bytes + bytes > bound) {
      this.#dropped++;
      this.#filled().dropped++;
      return false;
    }
    this.#queued.push(json);
    this.#records++;
    this.#bytes += bytes;
    return true;
  }

  /** Whether records wait to be put in a message. */
  get hasQueued(): boolean {
    return this.#queued.length > 0;
  }

  /** Records waiting to be put in a message. */
  get queuedRecords(): number {
    return this.#queued.length;
  }

  /** The next message: the oldest queued records, as many as fit (at least one). Undefined when none wait. */
  take(): AuditMessage | undefined {
    if (this.#queued.length === 0) return undefined;
    let n = 0;
    let bytes = 2; // the brackets
    for (; n < this.#queued.length && n < MAX_RECORDS_PER_MESSAGE; n++) {
      const more = Buffer.byteLength(this.#queued[n]!) + 1;
      if (n > 0 && bytes + more > MAX_MESSAGE_BYTES) break;
      bytes += more;
    }
    const records = this.#queued.splice(0, n);
    // A record that goes alone is its own message, as before batching (a quiet node's stream
    // holds one record per message); several go as a JSON array.
    const data = Buffer.from(records.length === 1 ? records[0]! : `[${records.join(',')}]`);
    // The records' own bytes, as `add` counted them: the message less its brackets and commas.
    const held = records.length === 1 ? data.length : data.length - 1 - records.length;
    return { msgId: `audit-${randomBytes(12).toString('base64url')}`, data, records: records.length, bytes: held };
  }

  /** JetStream stored `m`: its records leave the backlog. */
  stored(m: AuditMessage): void {
    this.#records -= m.records;
    this.#bytes -= m.bytes;
    this.#published += m.records;
    if (this.#full !== undefined && this.#bytes < this.maxBytes / 2) {
      this.log.info('audit backlog drained: records flow to JetStream again', {
        droppedMeanwhile: this.#full.dropped,
        refusedCallsMeanwhile: this.#full.refused,
      });
      this.#full = undefined;
    }
  }

  counts(): AuditCounts {
    return {
      published: this.#published,
      backlogRecords: this.#records,
      backlogBytes: this.#bytes,
      dropped: this.#dropped,
      refusedCalls: this.#refusedCalls,
    };
  }

  /** The current episode of a full backlog; the first refusal or drop of one is logged. */
  #filled(): { dropped: number; refused: number } {
    if (this.#full !== undefined) return this.#full;
    this.#full = { dropped: 0, refused: 0 };
    this.log.warn(
      `audit backlog full (${this.#records} records, ${this.#bytes} bytes): NATS slow or away; ` +
        (this.whenUnrecorded === 'refuse'
          ? 'calls are refused until JetStream stores the backlog (audit.whenUnrecorded: refuse)'
          : 'calls are served and their records dropped, counted in insights_audit_records_dropped_total (audit.whenUnrecorded: allow)'),
      { records: this.#records, bytes: this.#bytes, maxBacklogBytes: this.maxBytes },
    );
    return this.#full;
  }
}
