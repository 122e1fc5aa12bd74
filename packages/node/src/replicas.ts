import type { JetStreamManager, NatsConnection } from 'nats';

/** Raft groups of three survive one lost server; more copies only slow writes. */
export const CLUSTER_REPLICAS = 3;

/**
 * How many copies of a stream or bucket to ask for: the configured number, or else three when
 * the server belongs to a cluster of at least three servers (it gossips their client URLs in
 * `connect_urls`), else one. A single server refuses more copies than it has peers, so the
 * default must follow what is there.
 */
export function resolveReplicas(nc: NatsConnection, configured: number | undefined): number {
  if (configured !== undefined) return configured;
  const info = nc.info;
  if (info?.cluster === undefined || info.cluster === '') return 1;
  const servers = new Set(info.connect_urls ?? []).size;
  return servers >= CLUSTER_REPLICAS ? CLUSTER_REPLICAS : 1;
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
