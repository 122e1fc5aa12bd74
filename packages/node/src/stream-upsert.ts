import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';

export const NS_PER_SECOND = 1_000_000_000;

export interface UpsertOptions {
  /**
   * The stream exists but could not be brought up to date (a NATS user without the right):
   * told here and used as it is. Without it, that error is thrown.
   */
  onUpdateError?: (error: Error, current: StreamInfo) => void;
}

/**
 * Creates a stream, or brings an existing one's settings up to date. Every node does this at
 * start for the streams it uses; doing it twice changes nothing.
 */
export async function upsertStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
  options: UpsertOptions = {},
): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config);
  } catch (e) {
    // Already there with other settings: update what may change.
    if (!/already in use|exists/i.test((e as Error).message)) throw e;
    const current = await jsm.streams.info(config.name);
    // Never fewer copies than the stream has: a node with another idea of the cluster must not shrink it.
    const num_replicas = Math.max(current.config.num_replicas, config.num_replicas ?? 1);
    const wanted: Record<string, unknown> = { ...config, num_replicas };
    const have = current.config as unknown as Record<string, unknown>;
    if (Object.keys(wanted).every((k) => JSON.stringify(have[k]) === JSON.stringify(wanted[k]))) return current;
    try {
      return await jsm.streams.update(config.name, { ...current.config, ...config, num_replicas });
    } catch (u) {
      if (options.onUpdateError === undefined) throw u;
      options.onUpdateError(u as Error, current);
      return current;
    }
  }
}
