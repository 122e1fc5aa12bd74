import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { BUCKET_MAX_AGE_MS, DEFAULT_BUCKET } from './advertisement.ts';

export interface BucketOptions {
  bucket?: string;
  /** Replicas of the bucket's stream: 3 on a three-server JetStream cluster. */
  replicas?: number;
  /** How long a write waits for JetStream's answer, ms (default 5000). */
  timeoutMs?: number;
}

/**
 * Opens the registry bucket, creating it if needed (idempotent: every node and client may call
 * this; the first one creates it). One key per node keeps writes linear in the node count.
 */
export function openRegistryBucket(nc: NatsConnection, options: BucketOptions = {}): Promise<KV> {
  return new Kvm(jetstream(nc, options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs })).create(
    options.bucket ?? DEFAULT_BUCKET,
    {
      history: 1,
      ttl: BUCKET_MAX_AGE_MS,
      replicas: options.replicas ?? 1,
    },
  );
}
