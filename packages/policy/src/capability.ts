import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { InsightsError } from '@insights/sdk';
import { z } from 'zod';
import { policyContextSchema, policySchema, type PolicyLayer } from './policy.ts';

/**
 * A capability is a signed, expiring list of policy layers: `ic1.<payload>.<signature>`, both
 * base64url, Ed25519 over `ic1.<payload>`. Whoever holds the mesh's private key mints them;
 * nodes hold only public keys, so a node can check a capability but never make one.
 */
const PREFIX = 'ic1';
/** Clock difference between minter and node we tolerate, ms. */
export const CLOCK_SKEW_MS = 30_000;

const payloadSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  sub: z.string().optional(),
  /** The capability's id: what revocation names and the audit records. */
  jti: z.string().min(1).max(64).optional(),
  layers: z.array(z.strictObject({ policy: policySchema, context: policyContextSchema })).min(1),
});

export type CapabilityPayload = z.output<typeof payloadSchema>;

export interface MeshKeyPair {
  readonly kid: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** A new Ed25519 key pair for minting capabilities; `kid` names the public key to nodes. */
export function generateMeshKeys(): MeshKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid: keyId(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function keyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export interface MintOptions {
  readonly privateKeyPem: string;
  readonly layers: readonly PolicyLayer[];
  readonly ttlSeconds: number;
  /** Who the capability is for (logged by nodes). */
  readonly subject?: string;
  readonly now?: number;
}

export function mintCapability(o: MintOptions): string {
  const privateKey = createPrivateKey(o.privateKeyPem);
  const now = o.now ?? Date.now();
  const payload: CapabilityPayload = {
    v: 1,
    kid: keyId(createPublicKey(privateKey)),
    iat: Math.floor(now / 1000),
    exp: Math.floor(now / 1000 + o.ttlSeconds),
    ...(o.subject === undefined ? {} : { sub: o.subject }),
    jti: randomBytes(12).toString('base64url'),
    layers: o.layers.map((l) => ({ policy: l.policy, context: { ...l.context } })),
  };
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(null, Buffer.from(body), privateKey).toString('base64url');
  return `${body}.${signature}`;
}

/** Reads a capability's payload without checking it: for clients shaping their own view only. */
export function decodeCapability(token: string): CapabilityPayload {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) throw denied('not a capability token');
  try {
    return payloadSchema.parse(JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')));
  } catch {
    throw denied('capability payload is malformed');
  }
}

/** Public keys a node trusts, by key id. */
export class CapabilityVerifier {
  readonly #keys = new Map<string, KeyObject>();
  readonly #cache = new Map<string, CapabilityPayload>();

  constructor(publicKeysPem: readonly string[]) {
    for (const pem of publicKeysPem) {
      const key = createPublicKey(pem);
      this.#keys.set(keyId(key), key);
    }
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Checks signature, key and expiry; throws PERMISSION_DENIED saying which failed. */
  verify(token: string, now = Date.now()): CapabilityPayload {
    let payload = this.#cache.get(token);
    if (payload === undefined) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== PREFIX) throw denied('not a capability token');
      payload = decodeCapability(token);
      const key = this.#keys.get(payload.kid);
      if (key === undefined) throw denied(`capability signed with key ${payload.kid}, which this node does not trust`);
      const ok = verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2] as string, 'base64url'));
      if (!ok) throw denied('capability signature is invalid');
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, payload);
    }
    if (payload.exp * 1000 + CLOCK_SKEW_MS < now) throw denied('capability has expired; get a new one');
    if (payload.iat * 1000 - CLOCK_SKEW_MS > now) throw denied('capability is not valid yet (clock skew?)');
    return payload;
  }
}

function denied(message: string): InsightsError {
  return new InsightsError('PERMISSION_DENIED', message);
}
