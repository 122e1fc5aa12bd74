import { InsightsError } from '@insights/sdk';
import type { Logger } from '@insights/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from './nats-link.ts';

/** The NATS KV bucket of revoked capability ids: key = the capability's `jti`, value = who revoked it and when. */
export const REVOCATION_BUCKET = 'insights_revoked';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const REWATCH_MS = 2000;

/** Opens (creating if needed) the revocation bucket: nodes watch it, `insights capability revoke` writes it. */
export function openRevocationBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return new Kvm(nc).create(REVOCATION_BUCKET, { history: 1, replicas });
}

/** Revokes a capability by id before it expires; every node watching the bucket refuses it from then on. */
export async function revokeCapability(nc: NatsConnection, id: string, reason: string): Promise<void> {
  if (!ID.test(id))
    throw new InsightsError(
      'INVALID_ARGUMENT',
      'a capability id is 1-64 characters of A-Z a-z 0-9 _ - (the jti of the capability)',
      {
        parameter: 'id',
      },
    );
  // Bind to the nodes' bucket when it exists (they chose its replicas); create it otherwise.
  const kv = await new Kvm(nc).open(REVOCATION_BUCKET).catch(() => openRevocationBucket(nc));
  await kv.put(id, JSON.stringify({ revokedAt: new Date().toISOString(), reason }));
}

/**
 * The revoked capability ids this node knows, kept current by watching the bucket (a deleted key
 * lifts a revocation). Revocations reach a node while it is connected to NATS; a node without
 * NATS knows none, so rotate the mesh key if a revocation must hold there too.
 */
export class RevocationList {
  readonly #revoked = new Set<string>();
  #closed = false;
  #stop: (() => void) | undefined;

  constructor(link: NatsLink, replicas: number, log: Logger) {
    if (!link.configured) return;
    void link.connected.then(
      async (nc) => {
        while (!this.#closed) {
          try {
            const kv = await openRevocationBucket(nc, replicas);
            const watch = await kv.watch({ key: '>' });
            this.#stop = () => watch.stop();
            for await (const e of watch) {
              if (e.operation === 'PUT') this.#revoked.add(e.key);
              else this.#revoked.delete(e.key);
            }
          } catch (e) {
            if (!this.#closed) log.warn('revocation list: watch failed; retrying', { error: (e as Error).message });
          }
          if (!this.#closed) await new Promise((r) => setTimeout(r, REWATCH_MS).unref());
        }
      },
      () => undefined,
    );
  }

  has(id: string): boolean {
    return this.#revoked.has(id);
  }

  close(): void {
    this.#closed = true;
    this.#stop?.();
  }
}
