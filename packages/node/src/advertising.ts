import { Advertiser, connectNatsWithRetry, natsSettingsFrom, nodeViewFromDescribe, type DescribeLike } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NatsConnection } from 'nats';
import type { NodeConfig } from './config.ts';

export interface Advertising {
  /** Takes the node out of the registry now (first step of a clean shutdown). */
  withdraw(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Puts the node in the NATS registry and keeps its entry current. NATS being down at start does
 * not stop the node: it serves direct calls and keeps retrying in the background, logging each try.
 */
export function startAdvertising(config: NodeConfig, describe: () => DescribeLike, log: Logger): Advertising {
  if (config.nats === undefined) return { withdraw: async () => {}, close: async () => {} };
  const settings = natsSettingsFrom(config.nats);
  const abort = new AbortController();
  let nc: NatsConnection | undefined;
  let advertiser: Advertiser | undefined;
  let timer: NodeJS.Timeout | undefined;

  const started = (async () => {
    nc = await connectNatsWithRetry(
      { name: `insights-node-${config.id}`, ...settings },
      {
        signal: abort.signal,
        onRetry: (e, attempt, delayMs) =>
          log.warn('NATS unreachable; serving direct calls and retrying', {
            servers: settings.servers,
            error: e.message,
            attempt,
            retryInMs: delayMs,
          }),
      },
    );
    let last = JSON.stringify(nodeViewFromDescribe(describe()));
    advertiser = new Advertiser(nc, JSON.parse(last), {
      bucket: config.registry.bucket,
      ttlMs: config.registry.ttlMs,
      replicas: config.registry.replicas,
      onError: (e) => log.warn('registry write failed; will retry', { error: e.message }),
    });
    await advertiser.start();
    log.info('advertising in the registry', { servers: settings.servers, bucket: config.registry.bucket, ttlMs: config.registry.ttlMs });
    // Module states change (restarts, degraded): re-advertise when the view differs.
    timer = setInterval(() => {
      const now = JSON.stringify(nodeViewFromDescribe(describe()));
      if (now !== last) {
        last = now;
        void advertiser?.update(JSON.parse(now));
      }
    }, Math.max(250, Math.floor(config.registry.ttlMs / 3)));
    timer.unref();
  })().catch((e: unknown) => {
    if (!abort.signal.aborted) log.error('registry advertising stopped', { error: (e as Error).message });
  });

  return {
    async withdraw() {
      abort.abort();
      if (timer !== undefined) clearInterval(timer);
      await advertiser?.withdraw();
    },
    async close() {
      abort.abort();
      if (timer !== undefined) clearInterval(timer);
      await started;
      await nc?.drain().catch(() => {});
    },
  };
}
