import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';

/** Raft groups of three survive one lost server; more copies only slow writes. */
export const CLUSTER_REPLICAS = 3;

/**
 * How many copies of a stream or bucket to ask for: the configured number, else three on a
 * JetStream cluster, else one. The cluster's size cannot be read reliably at connect time (its
 * servers gossip their addresses a moment after it forms, so a node that counted them could
 * see one and create single-copy streams), so any cluster counts as three servers: a cluster
 * of one or two JetStream servers must set `registry.replicas` and `events.replicas`.
 */
export function resolveReplicas(nc: NatsConnection, configured: number | undefined): number {
  if (configured !== undefined) return configured;
  const cluster = nc.info?.cluster;
  return cluster === undefined || cluster === '' ? 1 : CLUSTER_REPLICAS;
}

/**
 * Raises the copies of an existing stream (a KV bucket is the stream `KV_<bucket>`) when it has
 * fewer than wanted: whoever created it first may have asked for one (an old node, or a client
 * that opened the registry before any node). Never lowers it.
 */
export async function ensureStreamReplicas(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  if (replicas <= 1) return;
  const info = await jsm.streams.info(stream);
  if (info.config.num_replicas >= replicas) return;
  await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
}
