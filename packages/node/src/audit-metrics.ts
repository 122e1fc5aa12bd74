import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditCounts } from './audit-backlog.ts';

/**
 * The audit trail on /metrics, read at scrape time: records stored, waiting (records and bytes,
 * against audit.maxBacklogBytes), dropped (audit.whenUnrecorded: allow) and calls refused because
 * they could not be recorded (refuse). Any drop or refusal means NATS was slow or away.
 */
export function registerAuditMetrics(registry: Registry, counts: () => AuditCounts): void {
  const registers = [registry];
  const counter = (name: string, help: string, read: (c: AuditCounts) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(counts()));
      },
    });
  const gauge = (name: string, help: string, read: (c: AuditCounts) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(counts()));
      },
    });
  counter('insights_audit_records_published_total', 'Audit records JetStream stored', (c) => c.published);
  gauge('insights_audit_backlog_records', 'Audit records waiting for JetStream', (c) => c.backlogRecords);
  gauge(
    'insights_audit_backlog_bytes',
    'Bytes of the audit records waiting for JetStream (bound: audit.maxBacklogBytes)',
    (c) => c.backlogBytes,
  );
  counter(
    'insights_audit_records_dropped_total',
    'Audit records dropped at a full backlog (audit.whenUnrecorded: allow; with refuse only past twice the bound)',
    (c) => c.dropped,
  );
  counter(
    'insights_audit_calls_refused_total',
    'Calls refused UNAVAILABLE because the audit backlog was full (audit.whenUnrecorded: refuse)',
    (c) => c.refusedCalls,
  );
}
