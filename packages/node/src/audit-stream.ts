import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { AUDIT_SUBJECT_PREFIX } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NodeConfig } from './config.ts';
import { NS_PER_SECOND, upsertStream } from './stream-upsert.ts';

/**
 * Creates the audit stream or brings its retention up to date (every node, at start). A stream
 * that exists but may not be updated (a NATS user without the right) is used as it is: records
 * still go there.
 */
export async function ensureAuditStream(nc: NatsConnection, config: NodeConfig, log: Logger): Promise<void> {
  await upsertStream(
    await jetstreamManager(nc),
    {
      name: config.audit.stream,
      subjects: [`${AUDIT_SUBJECT_PREFIX}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: config.audit.maxAgeSeconds * NS_PER_SECOND,
      num_replicas: config.events.replicas ?? 1,
    },
    {
      onUpdateError: (e) =>
        log.warn('audit stream not updated (audit.maxAgeSeconds); records go to the stream as it is', { error: e.message }),
    },
  );
}
