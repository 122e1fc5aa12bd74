import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { AUDIT_SUBJECT_PREFIX } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NodeConfig } from './config.ts';

const NS = 1_000_000_000;

/**
 * Creates the audit stream or brings its retention up to date (every node, at start). A stream
 * that exists but may not be updated (a NATS user without the right) is used as it is: records
 * still go there.
 */
export async function ensureAuditStream(nc: NatsConnection, config: NodeConfig, log: Logger): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = {
    name: config.audit.stream,
    subjects: [`${AUDIT_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: config.audit.maxAgeSeconds * NS,
    num_replicas: config.events.replicas ?? 1,
  };
  try {
    await jsm.streams.add(stream);
  } catch (e) {
    if (!/already in use|exists/i.test((e as Error).message)) throw e;
    const current = await jsm.streams.info(stream.name);
    if (current.config.max_age === stream.max_age) return;
    await jsm.streams.update(stream.name, { ...current.config, max_age: stream.max_age }).catch((u: unknown) =>
      log.warn('audit stream retention not updated (audit.maxAgeSeconds); records go to the stream as it is', {
        error: (u as Error).message,
      }),
    );
  }
}
