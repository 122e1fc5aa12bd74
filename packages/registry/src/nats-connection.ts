import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import { z } from 'zod';
import { isAuthenticationRefused } from './nats-errors.ts';

/** How to reach NATS: a URL or a cluster, and credentials of any kind NATS supports. */
export const natsSettingsSchema = z.strictObject({
  servers: z.union([z.string(), z.array(z.string()).min(1)]).describe('nats://host:port, or several for a cluster'),
  user: z.string().optional(),
  pass: z.string().optional(),
  token: z.string().optional(),
  /** A .creds file (JWT + nkey seed) from nsc. */
  credsFile: z.string().optional(),
  /** An nkey seed file (SU...). */
  nkeySeedFile: z.string().optional(),
  /** An nkey seed (SU...) itself, for programs that hold it (configs should name a file instead). */
  nkeySeed: z.string().optional(),
  tls: z
    .strictObject({ caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() })
    .optional(),
  name: z.string().optional(),
});

export type NatsSettings = z.input<typeof natsSettingsSchema>;

export function natsSettingsFrom(value: string | NatsSettings): NatsSettings {
  return typeof value === 'string' ? { servers: value } : value;
}

export function toConnectionOptions(s: NatsSettings): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: s.servers,
    name: s.name,
    // Reconnect forever: a NATS restart must never need a node restart.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    pingInterval: 5_000,
    maxPingOut: 3,
  };
  if (s.user !== undefined) opts.user = s.user;
  if (s.pass !== undefined) opts.pass = s.pass;
  if (s.token !== undefined) opts.token = s.token;
  if (s.credsFile !== undefined) opts.authenticator = credsAuthenticator(readFileSync(s.credsFile));
  else if (s.nkeySeedFile !== undefined || s.nkeySeed !== undefined)
    opts.authenticator = nkeyAuthenticator(
      new TextEncoder().encode((s.nkeySeed ?? readFileSync(s.nkeySeedFile as string, 'utf8')).trim()),
    );
  if (s.tls !== undefined)
    opts.tls = {
      ...(s.tls.caFile ? { caFile: s.tls.caFile } : {}),
      ...(s.tls.certFile ? { certFile: s.tls.certFile } : {}),
      ...(s.tls.keyFile ? { keyFile: s.tls.keyFile } : {}),
    };
  return opts;
}

export interface ConnectRetryOptions {
  /** Called before each retry with what failed and how long until the next try. */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  maxDelayMs?: number;
}

/**
 * Connects to NATS, retrying with exponential backoff (capped) while the server is unreachable
 * at start. Once connected, the client reconnects on its own after any disconnect.
 */
/** Failures that waiting will not fix: a malformed URL, or credentials the server refuses. */
function isPermanent(e: unknown): boolean {
  return (e as { message?: string }).message?.includes('Invalid URL') === true || isAuthenticationRefused(e);
}

export async function connectNatsWithRetry(settings: NatsSettings, options: ConnectRetryOptions = {}): Promise<NatsConnection> {
  const base = toConnectionOptions(settings);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(base);
    } catch (e) {
      if (options.signal?.aborted) throw e;
      if (isPermanent(e))
        throw new Error(`cannot connect to NATS ${String(settings.servers)}: ${(e as Error).message}`, { cause: e });
      const delay = Math.min(options.maxDelayMs ?? 5_000, 100 * 2 ** Math.min(attempt, 10));
      options.onRetry?.(e as Error, attempt, delay);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        options.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (options.signal?.aborted) throw new Error('gave up connecting to NATS: cancelled');
    }
  }
}

/**
 * True when the server asks no credentials: anyone who reaches it can publish events or rewrite
 * the registry. Nodes and clients in production say so once at start.
 */
export function isOpenNats(nc: NatsConnection): boolean {
  return nc.info?.auth_required !== true;
}

/** Production: NODE_ENV=production, or a caller that says it is (a node requiring capabilities). */
export const inProduction = (declared = false): boolean => declared || process.env.NODE_ENV === 'production';

export const OPEN_NATS_WARNING =
  'NATS accepts connections without credentials: anyone who reaches it can publish events and rewrite the registry (see deploy/SECURITY.md, "NATS users")';
