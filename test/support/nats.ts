import { natsServerAvailable, startNatsServer, type NatsServer } from '@insights/registry/nats-server';

export { startNatsServer, type NatsServer };

/** Mesh suites need a real nats-server; `npm test` installs it, a bare `vitest` run says why it skips. */
export const NO_NATS = !natsServerAvailable();
if (NO_NATS) console.warn('nats-server is not on PATH: mesh tests are skipped (npm test installs it on Debian/Ubuntu)');
