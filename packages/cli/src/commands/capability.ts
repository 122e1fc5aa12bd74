import { natsWithCredentials } from '../nats-credentials.ts';
import { revokeCapability } from '@insights/node';
import { decodeCapability } from '@insights/policy';
import { connectNatsWithRetry } from '@insights/registry';
import { InsightsError } from '@insights/sdk';

/** What to revoke: the id, and when the capability expires anyway (so its entry can be swept then). */
export interface RevocationTarget {
  readonly id: string;
  readonly expiresAtMs: number | undefined;
}

/**
 * The id and expiry from what the operator gave: a whole capability (`ic1.…`: its `jti` and
 * `exp`), or an id with `--expires` (unknown expiry without it: the entry stays until deleted).
 */
export function revocationTarget(idOrCapability: string, expires?: string): RevocationTarget {
  let expiresAtMs: number | undefined;
  if (expires !== undefined) {
    expiresAtMs = Date.parse(expires);
    if (!Number.isFinite(expiresAtMs))
      throw new InsightsError('INVALID_ARGUMENT', `--expires: "${expires}" is not a date and time (ISO 8601)`, {
        parameter: 'expires',
      });
  }
  if (!idOrCapability.startsWith('ic1.')) return { id: idOrCapability, expiresAtMs };
  let payload: ReturnType<typeof decodeCapability>;
  try {
    payload = decodeCapability(idOrCapability);
  } catch (e) {
    throw new InsightsError('INVALID_ARGUMENT', `not a capability: ${(e as Error).message}`, { parameter: 'id' });
  }
  if (payload.jti === undefined)
    throw new InsightsError('INVALID_ARGUMENT', 'this capability has no id (jti), so it cannot be revoked: rotate the mesh key', {
      parameter: 'id',
    });
  return { id: payload.jti, expiresAtMs: expiresAtMs ?? payload.exp * 1000 };
}

/**
 * `insights capability revoke <id|capability>`: revokes a capability before it expires, by its id
 * (the `jti` that `insights token` prints) or the capability itself. Nodes watch the revocation
 * bucket and refuse it at once; entries whose capability has expired anyway are swept.
 */
export async function runCapabilityRevoke(
  idOrCapability: string,
  opts: { nats?: string; reason?: string; expires?: string },
): Promise<void> {
  const target = revocationTarget(idOrCapability, opts.expires);
  const url = opts.nats ?? process.env.NATS_URL;
  if (url === undefined || url === '')
    throw new InsightsError('INVALID_ARGUMENT', 'revocations live in NATS: pass --nats nats://host:port or set NATS_URL', {
      parameter: 'nats',
    });
  const nc = await connectNatsWithRetry(natsWithCredentials(url), { maxDelayMs: 1000, signal: AbortSignal.timeout(10_000) });
  let swept: number;
  try {
    ({ swept } = await revokeCapability(nc, target.id, opts.reason ?? '', target.expiresAtMs));
  } finally {
    await nc.drain();
  }
  const until = target.expiresAtMs === undefined ? 'until deleted' : `until ${new Date(target.expiresAtMs).toISOString()}`;
  process.stdout.write(`revoked capability ${target.id} (kept ${until}); swept ${swept} expired revocation(s)\n`);
}
