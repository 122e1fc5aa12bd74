import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { BUCKET_MAX_AGE_MS, DEFAULT_BUCKET } from './advertisement.ts';
import { MARKER_TTL_MS, serverSupportsTtl } from './server-expiry.ts';

export interface BucketOptions {
  bucket?: string;
  /** Replicas of the bucket's stream: 3 on a three-server JetStream cluster. */
  replicas?: number;
  /** How long a write waits for JetStream's answer, ms (default 5000). */
  timeoutMs?: number;
}

/**
 * Opens the registry bucket, creating it if needed (idempotent: every node and client may call
 * this; the first one creates it). One key per node keeps writes linear in the node count. On
 * nats-server 2.11+ a new bucket takes per-message TTLs and marks their expiry (server-expiry.ts);
 * an existing one is left as it is (a node upgrades it, see enableServerExpiry).
 */
export function openRegistryBucket(nc: NatsConnection, options: BucketOptions = {}): Promise<KV> {
  return new Kvm(jetstream(nc, options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs })).create(
    options.bucket ?? DEFAULT_BUCKET,
    {
      history: 1,
      ttl: BUCKET_MAX_AGE_MS,
      replicas: options.replicas ?? 1,
      ...(serverSupportsTtl(nc) ? { markerTTL: MARKER_TTL_MS } : {}),
    },
  );
}
