import { z } from 'zod';

/** Records a node may hold while JetStream is slow or away, by default (audit.maxBacklogBytes). */
export const DEFAULT_AUDIT_BACKLOG_BYTES = 32 * 1024 * 1024;

/** The node's `audit` settings: the trail of every call, its stream and what happens when it cannot keep up. */
export const auditConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Record every call and nested call (who, what, arguments after locks, outcome; never results)'),
    stream: z
      .string()
      .min(1)
      .default('INSIGHTS_AUDIT')
      .describe('JetStream stream of the audit records (subjects insights.audit.>)'),
    maxAgeSeconds: z
      .number()
      .int()
      .min(0)
      .default(90 * 24 * 3600)
      .describe('How long audit records are kept (0: until removed); the shortest setting of the mesh wins at each start'),
    maxBacklogBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(DEFAULT_AUDIT_BACKLOG_BYTES)
      .describe('Records waiting for JetStream (NATS slow or away), bytes; at this bound audit.whenUnrecorded applies'),
    whenUnrecorded: z
      .enum(['refuse', 'allow'])
      .default('refuse')
      .describe(
        'A call that cannot be recorded (backlog full): refuse it with UNAVAILABLE (fail closed), or allow it and count the dropped record (insights_audit_records_dropped_total)',
      ),
  })
  .prefault({})
  .describe('The audit trail: a JetStream stream only nodes publish to');
