import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { InsightsError } from '@insights/sdk';
import type { z } from 'zod';

/**
 * The one signed-token format of the mesh: `<prefix>.<payload>.<signature>`, payload base64url
 * JSON, signature Ed25519 over `<prefix>.<payload>`. Capabilities (`ic1`) and node certificates
 * (`inc1`) are both made and checked here; the prefix keeps one kind from passing for the other.
 */
export interface SignedPayload {
  readonly kid: string;
}

/** Clock difference between signer and checker we tolerate, ms. */
export const CLOCK_SKEW_MS = 30_000;

/** An Ed25519 key pair as PEM; `kid` names the public key. */
export interface SigningKeyPair {
  readonly kid: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function generateSigningKeys(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid: keyId(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A short, stable name of a public key: the first 16 hex digits of the SHA-256 of its SPKI DER. */
export function keyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Signs `payload` (which must name the signing key's id) as a `<prefix>.` token. */
export function signToken(prefix: string, payload: SignedPayload, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const body = `${prefix}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${sign(null, Buffer.from(body), key).toString('base64url')}`;
}

/** Reads a token's payload without checking its signature; throws PERMISSION_DENIED if malformed. */
export function decodeToken<T>(prefix: string, token: string, schema: z.ZodType<T>, what: string): T {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== prefix) throw denied(`not a ${what} token`);
  try {
    return schema.parse(JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')));
  } catch {
    throw denied(`${what} payload is malformed`);
  }
}

/** Public keys trusted to sign tokens, by key id. */
export class TrustedKeys {
  readonly #keys = new Map<string, KeyObject>();

  /** `holder` names who trusts the keys in refusals ("this node", "this client"). */
  constructor(
    publicKeysPem: readonly string[],
    private readonly holder = 'this node',
  ) {
    for (const pem of publicKeysPem) {
      const key = createPublicKey(pem);
      this.#keys.set(keyId(key), key);
    }
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Decodes and checks the signature against the key the payload names; throws PERMISSION_DENIED saying which failed. */
  verify<T extends SignedPayload>(prefix: string, token: string, schema: z.ZodType<T>, what: string): T {
    const payload = decodeToken(prefix, token, schema, what);
    const key = this.#keys.get(payload.kid);
    if (key === undefined) throw denied(`${what} signed with key ${payload.kid}, which ${this.holder} does not trust`);
    const [head, body, signature] = token.split('.') as [string, string, string];
    if (!verify(null, Buffer.from(`${head}.${body}`), key, Buffer.from(signature, 'base64url')))
      throw denied(`${what} signature is invalid`);
    return payload;
  }
}

export function denied(message: string): InsightsError {
  return new InsightsError('PERMISSION_DENIED', message);
}
