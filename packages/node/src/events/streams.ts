import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { DLQ_SUBJECT_PREFIX, EVENT_SUBJECT_PREFIX } from './subjects.ts';

export interface EventStreamSettings {
  stream: string;
  dlqStream: string;
  /** How long events are kept, seconds (0 = forever, the default: replay needs the past). */
  maxAgeSeconds: number;
  /** Window in which a re-sent event (same id) is dropped, seconds. */
  duplicateWindowSeconds: number;
  replicas: number;
}

const NS = 1_000_000_000;

/**
 * Creates the event and dead-letter streams, or brings their settings up to date. Every node
 * does this at start; doing it twice changes nothing.
 */
export async function ensureEventStreams(jsm: JetStreamManager, s: EventStreamSettings): Promise<void> {
  await upsert(jsm, {
    name: s.stream,
    subjects: [`${EVENT_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: s.maxAgeSeconds * NS,
    duplicate_window: s.duplicateWindowSeconds * NS,
    num_replicas: s.replicas,
  });
  await upsert(jsm, {
    name: s.dlqStream,
    subjects: [`${DLQ_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 30 * 24 * 3600 * NS,
    num_replicas: s.replicas,
  });
}

async function upsert(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (e) {
    // Already there with other settings: update what may change.
    if (!/already in use|exists/i.test((e as Error).message)) throw e;
    const current = await jsm.streams.info(config.name);
    // Never fewer copies than the stream has: a node with another idea of the cluster must not shrink it.
    const num_replicas = Math.max(current.config.num_replicas, config.num_replicas ?? 1);
    await jsm.streams.update(config.name, { ...current.config, ...config, num_replicas });
  }
}
