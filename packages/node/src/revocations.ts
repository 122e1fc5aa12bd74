import { CLOCK_SKEW_MS } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import type { Logger } from '@insights/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from './nats-link.ts';

/** The NATS KV bucket of revoked capability ids: key = the capability's `jti`, value = who revoked it and when. */
export const REVOCATION_BUCKET = 'insights_revoked';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const REWATCH_MS = 2000;
const PRUNE_INTERVAL_MS = 60_000;

/**
 * One revocation: who revoked and why, and when the revoked capability expires anyway (epoch ms;
 * unknown when revoked by id alone). Past that expiry, plus the clock skew nodes allow, every node
 * refuses the capability for its expiry, so the entry is swept.
 */
interface RevocationEntry {
  readonly revokedAt: string;
  readonly reason: string;
  readonly expiresAt?: number;
}

/** Opens (creating if needed) the revocation bucket: nodes watch it, `insights capability revoke` writes it. */
export function openRevocationBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return new Kvm(nc).create(REVOCATION_BUCKET, { history: 1, replicas });
}

/**
 * Revokes a capability by id before it expires; every node watching the bucket refuses it from
 * then on. `expiresAtMs`: the capability's own expiry, after which the entry is swept. Sweeps the
 * bucket of entries that have outlived their capability (returns how many).
 */
export async function revokeCapability(
  nc: NatsConnection,
  id: string,
  reason: string,
  expiresAtMs?: number,
): Promise<{ swept: number }> {
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
  const entry: RevocationEntry = {
    revokedAt: new Date().toISOString(),
    reason,
    ...(expiresAtMs === undefined ? {} : { expiresAt: expiresAtMs }),
  };
  await kv.put(id, JSON.stringify(entry));
  return { swept: await sweepExpiredRevocations(kv) };
}

/** Purges the entries whose capability has expired anyway; the nodes' watches drop them too. */
export async function sweepExpiredRevocations(kv: KV, nowMs = Date.now()): Promise<number> {
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  let swept = 0;
  for (const k of keys) {
    const e = await kv.get(k);
    if (e === null || e.operation !== 'PUT' || !outlived(expiryOf(e.string()), nowMs)) continue;
    await kv.purge(k);
    swept++;
  }
  return swept;
}

function expiryOf(value: string): number | undefined {
  try {
    const v = JSON.parse(value) as Partial<RevocationEntry> | null;
    return typeof v?.expiresAt === 'number' ? v.expiresAt : undefined;
  } catch {
    return undefined;
  }
}

const outlived = (expiresAt: number | undefined, nowMs: number) => expiresAt !== undefined && expiresAt + CLOCK_SKEW_MS < nowMs;

/**
 * The revoked capability ids this node knows, kept current by watching the bucket (a deleted key
 * lifts a revocation). Revocations reach a node while it is connected to NATS; a node without
 * NATS knows none, so rotate the mesh key if a revocation must hold there too.
 */
export class RevocationList {
  /** Revoked id -> when its capability expires anyway (undefined: unknown, kept). */
  readonly #revoked = new Map<string, number | undefined>();
  #closed = false;
  #stop: (() => void) | undefined;
  #prune: NodeJS.Timeout | undefined;

  constructor(link: NatsLink, replicas: number, log: Logger) {
    if (!link.configured) return;
    // Entries outlived by their capability cost memory for nothing, even before an operator sweeps them.
    this.#prune = setInterval(() => {
      const now = Date.now();
      for (const [id, expiresAt] of this.#revoked) if (outlived(expiresAt, now)) this.#revoked.delete(id);
    }, PRUNE_INTERVAL_MS).unref();
    void link.connected.then(
      async (nc) => {
        while (!this.#closed) {
          try {
            const kv = await openRevocationBucket(nc, replicas);
            const watch = await kv.watch({ key: '>' });
            this.#stop = () => watch.stop();
            for await (const e of watch) {
              if (e.operation === 'PUT') this.#revoked.set(e.key, expiryOf(e.string()));
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
    clearInterval(this.#prune);
    this.#stop?.();
  }
}
