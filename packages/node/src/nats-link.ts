import { connectNatsWithRetry, inProduction, isOpenNats, natsSettingsFrom, OPEN_NATS_WARNING } from '@insights/registry';
import type { Logger } from '@insights/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NodeConfig } from './config.ts';

/** The node's one NATS connection, shared by the registry, events and jobs. */
export interface NatsLink {
  /** Resolves once connected (retrying in the background); never resolves without `nats` in the config. */
  readonly connected: Promise<NatsConnection>;
  readonly configured: boolean;
  /** Connected now (false while reconnecting after a lost server, and before the first connect). */
  isConnected(): boolean;
  close(): Promise<void>;
}

export function startNatsLink(config: NodeConfig, log: Logger): NatsLink {
  if (config.nats === undefined)
    return { connected: new Promise(() => {}), configured: false, isConnected: () => false, close: async () => {} };
  const settings = natsSettingsFrom(config.nats);
  const abort = new AbortController();
  let nc: NatsConnection | undefined;
  let up = false;
  const connected = connectNatsWithRetry(
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
  ).then((c) => {
    nc = c;
    up = true;
    log.info('connected to NATS', { servers: settings.servers });
    if (inProduction(config.capabilities.required) && isOpenNats(c)) log.warn(OPEN_NATS_WARNING, { servers: settings.servers });
    void (async () => {
      for await (const s of c.status())
        if (s.type === 'disconnect' || s.type === 'reconnect') {
          up = s.type === 'reconnect';
          log.warn(`NATS ${s.type}`, { server: s.server });
        }
    })();
    return c;
  });
  connected.catch((e: unknown) => {
    if (!abort.signal.aborted) log.error('giving up on NATS', { error: (e as Error).message });
  });
  return {
    connected,
    configured: true,
    isConnected: () => up && nc?.isClosed() === false,
    async close() {
      abort.abort();
      await nc?.drain().catch(() => {});
    },
  };
}
