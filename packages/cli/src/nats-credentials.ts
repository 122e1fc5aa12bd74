import type { NatsSettings } from '@insights/registry';

/**
 * NATS settings for a `--nats <url>` flag (or NATS_URL) with the credentials of the environment:
 * NATS_NKEY_SEED_FILE (an NKey seed file, e.g. client.nk from `insights cluster up`) or NATS_NKEY_SEED
 * (the seed itself, for programs that spawn the CLI), NATS_CREDS
 * (a .creds file from nsc), or NATS_USER and NATS_PASSWORD. Secrets stay out of the command line.
 */
export function natsWithCredentials(servers: string, env: NodeJS.ProcessEnv = process.env): NatsSettings {
  if (env.NATS_NKEY_SEED_FILE) return { servers, nkeySeedFile: env.NATS_NKEY_SEED_FILE };
  if (env.NATS_NKEY_SEED) return { servers, nkeySeed: env.NATS_NKEY_SEED };
  if (env.NATS_CREDS) return { servers, credsFile: env.NATS_CREDS };
  if (env.NATS_USER) return { servers, user: env.NATS_USER, ...(env.NATS_PASSWORD ? { pass: env.NATS_PASSWORD } : {}) };
  return { servers };
}
