import { jetstreamManager } from '@nats-io/jetstream';
import { Advertiser, nodeViewFromDescribe, type DescribeLike, type NodeIdentity } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NodeConfig } from './config.ts';
import type { NatsLink } from './nats-link.ts';
import { ensureStreamReplicas, resolveReplicas } from './replicas.ts';

export interface Advertising {
  /** True once the node's entry is in the registry (readiness and metrics). */
  readonly advertised: boolean;
  /** Takes the node out of the registry now (first step of a clean shutdown). */
  withdraw(): Promise<void>;
}

/**
 * Puts the node in the NATS registry once NATS answers and keeps its entry current: module
 * states change (restarts, degraded), so the view is compared every heartbeat and re-advertised
 * when it differs. The entry is signed with the node key; an entry someone else deletes or
 * changes is rewritten at once.
 */
export function startAdvertising(
  config: NodeConfig,
  link: NatsLink,
  describe: () => DescribeLike,
  log: Logger,
  identity?: NodeIdentity,
): Advertising {
  if (!link.configured) return { advertised: false, withdraw: async () => {} };
  let advertised = false;
  let advertiser: Advertiser | undefined;
  let timer: NodeJS.Timeout | undefined;
  let withdrawn = false;
  const started = link.connected
    .then(async (nc) => {
      if (withdrawn) return;
      const view = () => JSON.stringify({ ...nodeViewFromDescribe(describe()), tls: config.tls !== undefined });
      let last = view();
      const replicas = resolveReplicas(nc, config.registry.replicas);
      advertiser = new Advertiser(nc, JSON.parse(last), {
        bucket: config.registry.bucket,
        ttlMs: config.registry.ttlMs,
        replicas,
        onError: (e) => log.warn('registry write failed; will retry', { error: e.message }),
        onTampered: (key, operation) => log.warn('registry entry changed by someone else; restored', { key, operation }),
        ...(identity === undefined ? {} : { identity }),
      });
      await advertiser.start();
      // A JetStream cluster still electing its leaders refuses or times out this update: retry it
      // rather than stay out of the registry (and not ready) for good.
      for (let attempt = 1; ; attempt++) {
        try {
          await ensureStreamReplicas(await jetstreamManager(nc), `KV_${config.registry.bucket}`, replicas);
          break;
        } catch (e) {
          if (withdrawn) return;
          log.warn('registry bucket not replicated yet; retrying', { error: (e as Error).message, attempt });
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
      if (withdrawn) return;
      advertised = true;
      log.info('advertising in the registry', { bucket: config.registry.bucket, ttlMs: config.registry.ttlMs, replicas });
      timer = setInterval(
        () => {
          const now = view();
          if (now !== last) {
            last = now;
            void advertiser?.update(JSON.parse(now));
          }
        },
        Math.max(250, Math.floor(config.registry.ttlMs / 3)),
      );
      timer.unref();
    })
    .catch((e: unknown) => log.error('registry advertising stopped', { error: (e as Error).message }));
  return {
    get advertised() {
      return advertised && !withdrawn;
    },
    async withdraw() {
      withdrawn = true;
      if (timer !== undefined) clearInterval(timer);
      await Promise.race([started, new Promise((r) => setTimeout(r, 100))]);
      await advertiser?.withdraw();
    },
  };
}
