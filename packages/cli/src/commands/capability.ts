import { natsWithCredentials } from '../nats-credentials.ts';
import { revokeCapability } from '@insights/node';
import { connectNatsWithRetry } from '@insights/registry';
import { InsightsError } from '@insights/sdk';

/**
 * `insights capability revoke <id>`: revokes a capability before it expires, by its id (the
 * `jti` that `insights token` prints). Nodes watch the revocation bucket and refuse it at once.
 */
export async function runCapabilityRevoke(id: string, opts: { nats?: string; reason?: string }): Promise<void> {
  const url = opts.nats ?? process.env.NATS_URL;
  if (url === undefined || url === '')
    throw new InsightsError('INVALID_ARGUMENT', 'revocations live in NATS: pass --nats nats://host:port or set NATS_URL', {
      parameter: 'nats',
    });
  const nc = await connectNatsWithRetry(natsWithCredentials(url), { maxDelayMs: 1000, signal: AbortSignal.timeout(10_000) });
  try {
    await revokeCapability(nc, id, opts.reason ?? '');
  } finally {
    await nc.drain();
  }
  process.stdout.write(`revoked capability ${id}\n`);
}
