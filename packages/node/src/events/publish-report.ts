import type { PubAck } from './jetstream-publisher.ts';

/** What JetStream made of a group of published events. */
export interface PublishReport {
  /** Events stored. */
  published: number;
  /** Events JetStream dropped as re-sent within the duplicate window. */
  duplicates: number;
  /** Highest stream sequence written (0 when nothing was). */
  lastSeq: number;
}

export const EMPTY_REPORT: PublishReport = Object.freeze({ published: 0, duplicates: 0, lastSeq: 0 });

/** The report of per-message acknowledgements; `events[i]`: the events message i held (a page: many), 1 if not given. */
export function reportOfAcks(acks: readonly PubAck[], events?: readonly number[]): PublishReport {
  const report: PublishReport = { ...EMPTY_REPORT };
  for (let i = 0; i < acks.length; i++) {
    const ack = acks[i]!;
    const n = events?.[i] ?? 1;
    if (ack.duplicate) report.duplicates += n;
    else report.published += n;
    if (ack.seq > report.lastSeq) report.lastSeq = ack.seq;
  }
  return report;
}

/** Reports added up. */
export function addReports(reports: readonly PublishReport[]): PublishReport {
  const total: PublishReport = { ...EMPTY_REPORT };
  for (const r of reports) {
    total.published += r.published;
    total.duplicates += r.duplicates;
    if (r.lastSeq > total.lastSeq) total.lastSeq = r.lastSeq;
  }
  return total;
}
