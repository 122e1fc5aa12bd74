import { jetstreamManager } from '@nats-io/jetstream';
import {
  Advertiser,
  AdvertisementTrust,
  NodeRegistryWatch,
  nodeViewFromDescribe,
  type DescribeLike,
  type NodeIdentity,
  type RegistryRefusalListener,
} from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NodeConfig } from './config.ts';
import type { NatsLink } from './nats-link.ts';
import { ensureStreamReplicas, resolveReplicas } from './replicas.ts';

export interface Advertising {
  /** True once the node's entry is in the registry (readiness and metrics). */
  readonly advertised: boolean;
  /** The node's one registry watch once it has read the node's own keys (undefined before, and without NATS). */
  readonly watch: NodeRegistryWatch | undefined;
  /** Resolves with the watch once it is up; never without NATS. */
  readonly watching: Promise<NodeRegistryWatch>;
  /** Takes the node out of the registry now (first step of a clean shutdown). */
  withdraw(): Promise<void>;
  /** Stops the watch (last step: nested calls still use it while the node drains). */
  close(): void;
}

/** Whose registry entries the node's watch believes, and where refusals go. */
export interface RegistryWatchSettings {
  /** Mesh public keys: with them, only entries signed by a certified node are taken. */
  readonly trustedKeys: readonly string[];
  /** Each registry entry refused (counted in /metrics). */
  readonly onRefusal?: RegistryRefusalListener;
  /** Follow the whole registry from the start, as every node did before watching on demand (benchmarks). */
  readonly eager?: boolean;
  /** Stop following the whole registry after this long unused, ms. */
  readonly idleMs?: number;
}

/**
 * Puts the node in the NATS registry once NATS answers and keeps its entry current: module
 * states change (restarts, degraded), so the view is compared every heartbeat and re-advertised
 * when it differs. The entry is signed with the node key. One watch per node (NodeRegistryWatch)
 * follows its own keys, so an entry someone else deletes or changes is rewritten at once, and
 * widens to the whole registry only while nested calls or hard-realtime waits need the mesh.
 */
export function startAdvertising(
  config: NodeConfig,
  link: NatsLink,
  describe: () => DescribeLike,
  log: Logger,
  identity?: NodeIdentity,
  watchSettings: RegistryWatchSettings = { trustedKeys: [] },
): Advertising {
  if (!link.configured)
    return { advertised: false, watch: undefined, watching: new Promise(() => {}), withdraw: async () => {}, close() {} };
  let advertised = false;
  let advertiser: Advertiser | undefined;
  let watch: NodeRegistryWatch | undefined;
  let timer: NodeJS.Timeout | undefined;
  let withdrawn = false;
  let closed = false;
  let watchUp!: (w: NodeRegistryWatch) => void;
  let watchFailed!: (e: Error) => void;
  const watching = new Promise<NodeRegistryWatch>((resolve, reject) => ((watchUp = resolve), (watchFailed = reject)));
  watching.catch(() => {}); // reported below; users see a node without a mesh
  const startWatch = (nc: NatsConnection, replicas: number) => {
    const { trustedKeys, onRefusal, eager, idleMs } = watchSettings;
    NodeRegistryWatch.start(nc, config.id, {
      bucket: config.registry.bucket,
      replicas,
      ...(trustedKeys.length === 0 ? {} : { trust: new AdvertisementTrust(trustedKeys, config.identity.meshId) }),
      onInvalid: (key, reason, refusal) => {
        log.warn(`ignoring registry entry ${key}: ${reason}`, { component: 'registry' });
        onRefusal?.(key, reason, refusal);
      },
      onRetry: (e, attempt, delayMs) => log.warn('registry not readable yet; retrying', { error: e.message, attempt, delayMs }),
      // Its own keys go to the advertiser, which rewrites what someone else deleted or changed.
      onEntry: (e) => advertiser?.observe(e),
      ...(eager === undefined ? {} : { eager }),
      ...(idleMs === undefined ? {} : { idleMs }),
    }).then(
      (w) => {
        if (closed) return w.close();
        watch = w;
        watchUp(w);
      },
      (e: unknown) => {
        if (!closed) log.error('registry watch stopped: the node cannot see the mesh', { error: (e as Error).message });
        watchFailed(e as Error);
      },
    );
  };
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
        onExpired: (key) => log.warn('registry entry expired (not renewed within its TTL); written again', { key }),
        onServerTtlUnavailable: (reason) =>
          log.warn('registry entries without server-side TTL: clients time this node out themselves', { reason }),
        ...(identity === undefined ? {} : { identity }),
        ownWatch: false,
      });
      await advertiser.start();
      // After the first write, so the snapshot shows the node's own entries rather than an earlier run's.
      startWatch(nc, replicas);
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
    get watch() {
      return watch;
    },
    watching,
    close() {
      closed = true;
      watch?.close();
    },
    async withdraw() {
      withdrawn = true;
      if (timer !== undefined) clearInterval(timer);
      await Promise.race([started, new Promise((r) => setTimeout(r, 100))]);
      await advertiser?.withdraw();
    },
  };
}
