import { RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { NS_PER_SECOND as NS, upsertStream as upsert } from '../stream-upsert.ts';
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

/** What the event stream, as the server keeps it, lets publishers do. */
export interface EventStreamCapabilities {
  /** Atomic batch publishing with per-message de-duplication (nats-server 2.12.1+, `allow_atomic`). */
  readonly atomicBatches: boolean;
}

/** The first nats-server whose atomic batches take `Nats-Msg-Id` (2.12.0 refused every batch that had one). */
const ATOMIC_BATCH_DEDUP_SINCE: readonly [number, number, number] = [2, 12, 1];

/**
 * Creates the event and dead-letter streams, or brings their settings up to date. Every node
 * does this at start; doing it twice changes nothing. The event stream allows atomic batches
 * where the server de-duplicates inside them (`serverVersion` 2.12.1+); older servers are not
 * sent the setting, and the answer says what the stream allows.
 */
export async function ensureEventStreams(
  jsm: JetStreamManager,
  s: EventStreamSettings,
  serverVersion = '',
): Promise<EventStreamCapabilities> {
  const config = {
    name: s.stream,
    subjects: [`${EVENT_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: s.maxAgeSeconds * NS,
    duplicate_window: s.duplicateWindowSeconds * NS,
    num_replicas: s.replicas,
  };
  const events = atLeast(serverVersion, ATOMIC_BATCH_DEDUP_SINCE)
    ? // A stream the server will not make atomic (an operator's `persist_mode: async`) is kept without.
      await upsert(jsm, { ...config, allow_atomic: true }).catch(() => upsert(jsm, config))
    : await upsert(jsm, config);
  await upsert(jsm, {
    name: s.dlqStream,
    subjects: [`${DLQ_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 30 * 24 * 3600 * NS,
    num_replicas: s.replicas,
  });
  return { atomicBatches: events.config.allow_atomic === true };
}

/** `version` ("2.14.10", "2.12.1-RC.2") is at least `min`; false when it cannot be read. */
export function atLeast(version: string, min: readonly [number, number, number]): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) return false;
  for (let i = 0; i < 3; i++) {
    const d = Number(m[i + 1]) - min[i]!;
    if (d !== 0) return d > 0;
  }
  return true;
}
