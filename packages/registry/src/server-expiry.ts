import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

/**
 * Registry liveness the NATS server enforces (nats-server 2.11+, ADR-43/ADR-48): a heartbeat is
 * written with a per-message TTL (`Nats-TTL`), and when it expires unrenewed the server writes a
 * removal marker in its place (the stream's `subject_delete_marker_ttl`), which every watch
 * receives as a PURGE of that key. A crashed or partitioned node leaves every view without a
 * timer of the watcher's, and its entries leave the bucket instead of staying until its max age.
 */

/** How long a removal marker stays in the bucket: a watch rebuilt within this long still reads it. */
export const MARKER_TTL_MS = 5 * 60_000;

/** Per-message TTL and removal markers came with nats-server 2.11. */
export const MIN_SERVER_FOR_TTL: readonly [number, number] = [2, 11];

/** Whether the server expires this node's entries itself, and if not, why (said once in the node's log). */
export type ServerExpiry = { readonly on: true } | { readonly on: false; readonly reason: string };

/** The version of the server `nc` is connected to supports per-message TTL. */
export function serverSupportsTtl(nc: NatsConnection): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(nc.info?.version ?? '');
  if (m === null) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > MIN_SERVER_FOR_TTL[0] || (major === MIN_SERVER_FOR_TTL[0] && minor >= MIN_SERVER_FOR_TTL[1]);
}

/**
 * The `Nats-TTL` of an entry that must live `ms`: the server counts whole seconds (at least one)
 * and would truncate, so round up: a node is never dropped before its configured TTL.
 */
export const ttlHeader = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/**
 * Makes the bucket expire entries and mark their removal, if it does not yet: a bucket created
 * by an older version, or on an older server, lacks the settings. The stream update needs a NATS
 * user allowed `$JS.API.STREAM.UPDATE.KV_<bucket>` (the mesh's node users are); without it, or on
 * a server older than 2.11, the node writes entries without TTL and watchers time them as before.
 */
export async function enableServerExpiry(nc: NatsConnection, js: JetStreamClient, kv: KV): Promise<ServerExpiry> {
  if (!serverSupportsTtl(nc))
    return { on: false, reason: `nats-server ${nc.info?.version ?? '(unknown version)'} predates per-message TTL (2.11)` };
  const status = await kv.status();
  const config = status.streamInfo.config;
  // Both: a TTL without markers would remove a dead node's heartbeat without telling anyone.
  if (config.allow_msg_ttl === true && (config.subject_delete_marker_ttl ?? 0) > 0) return { on: true };
  try {
    const jsm = await js.jetstreamManager();
    await jsm.streams.update(config.name, {
      ...config,
      allow_msg_ttl: true,
      subject_delete_marker_ttl: MARKER_TTL_MS * 1_000_000,
    });
    return { on: true };
  } catch (e) {
    return {
      on: false,
      reason: `bucket ${status.bucket} has no per-message TTL and this NATS user cannot enable it (${(e as Error).message})`,
    };
  }
}

/**
 * Writes `value` under `key` with a per-message TTL (the KV client offers TTLs on `create` only,
 * lest an older revision resurface when the newest expires: the registry keeps one revision per
 * key, so none can). Returns the entry's revision, as `kv.put` does.
 */
export async function putExpiring(
  js: JetStreamClient,
  bucket: string,
  key: string,
  value: string,
  ttlMs: number,
): Promise<number> {
  const ack = await js.publish(`$KV.${bucket}.${key}`, value, { ttl: ttlHeader(ttlMs) });
  return ack.seq;
}
