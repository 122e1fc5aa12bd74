import type { CallRecord } from '@insights/runtime';
import type { AuditRecord } from '@insights/registry';

/**
 * The largest record, bytes: a call's arguments may be megabytes (maxRequestBytes), a NATS
 * message at most 1 MiB (the server's max_payload), and records travel many to a message.
 */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Arguments of at most this many bytes each are kept when a record must shrink (ids, courses, dates). */
const KEPT_ARG_BYTES = 1024;
const MAX_KEPT_ARGS = 32;

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembering the last one: it costs ~1.7 µs on these VMs, and the
 * calls of one batch start in the same millisecond (it was the largest item of building a record).
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** The stored form of call `r` on node `node`, in trace `trace`. Never the result. */
export function auditRecord(node: string, r: CallRecord, trace: string | undefined): AuditRecord {
  return {
    v: 1,
    time: isoTime(r.startedAt),
    node,
    id: r.id,
    ...(r.parentId === undefined ? {} : { parent: r.parentId }),
    ...(trace === undefined ? {} : { trace }),
    kind: r.kind,
    analytic: r.analytic,
    ...(r.who === undefined ? {} : { who: r.who }),
    args: r.args,
    outcome: r.outcome,
    resultBytes: r.resultBytes,
    durationMs: r.durationMs,
  };
}

/**
 * A record as JSON, at most MAX_RECORD_BYTES: when its arguments are larger, it keeps the short
 * top-level ones (learner and course ids, so `insights audit --learner` still finds the call) and
 * names the others with their total size under `$omitted`.
 */
export function encodeAuditRecord(record: AuditRecord): string {
  const json = JSON.stringify(record);
  // Characters are at most 3 UTF-8 bytes each: most records skip the byte count.
  if (json.length * 3 <= MAX_RECORD_BYTES || Buffer.byteLength(json) <= MAX_RECORD_BYTES) return json;
  const bytes = Buffer.byteLength(JSON.stringify(record.args) ?? '');
  const kept: Record<string, unknown> = {};
  const omitted: string[] = [];
  let keptCount = 0;
  if (typeof record.args === 'object' && record.args !== null && !Array.isArray(record.args))
    for (const [k, v] of Object.entries(record.args))
      if (keptCount < MAX_KEPT_ARGS && Buffer.byteLength(JSON.stringify(v) ?? '') <= KEPT_ARG_BYTES) {
        kept[k] = v;
        keptCount++;
      } else omitted.push(k);
  const shrunk = JSON.stringify({ ...record, args: { ...kept, $omitted: { keys: omitted, bytes } } });
  if (Buffer.byteLength(shrunk) <= MAX_RECORD_BYTES) return shrunk;
  return JSON.stringify({ ...record, args: { $omitted: { bytes } } });
}
