import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';
import type { NatsRole } from '@insights/registry';

export { startNatsServer, type NatsServer };

/** Mesh suites need a real nats-server; `npm test` installs it, a bare `vitest` run says why it skips. */
export const NO_NATS = !natsServerAvailable();
if (NO_NATS) console.warn('nats-server is not on PATH: mesh tests are skipped (npm test installs it on Debian/Ubuntu)');

/** Environment for a spawned `insights` command that connects to `nats` as `role` (see natsWithCredentials). */
export function natsEnv(nats: NatsServer, role: NatsRole): NodeJS.ProcessEnv {
  const seed = nats.auth?.seeds[role];
  return seed === undefined ? {} : { NATS_NKEY_SEED: seed };
}
