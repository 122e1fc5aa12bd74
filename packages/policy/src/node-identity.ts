import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import {
  CLOCK_SKEW_MS,
  decodeToken,
  denied,
  generateSigningKeys,
  keyId,
  signToken,
  TrustedKeys,
  type SigningKeyPair,
} from './signed-token.ts';

/**
 * Node identity: each node has its own Ed25519 key pair; the operator's mesh key signs a node
 * certificate (`inc1.<payload>.<signature>`, the capability format) binding the node id to the
 * node's public key. A node signs its registry advertisement and answers challenges with its
 * private key; a client that trusts the mesh key checks the certificate, then the node's
 * signatures, so neither a forged registry entry nor a server at a stolen address passes.
 */
const PREFIX = 'inc1';
/** Default lifetime of a node certificate, seconds (a year: rotate by issuing a new one). */
export const DEFAULT_NODE_CERT_TTL_S = 365 * 24 * 3600;

const certificateSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1),
  /** The node id this certificate is for. */
  node: z.string().min(1),
  /** The node's Ed25519 public key, SPKI PEM. */
  key: z.string().min(1),
  mesh: z.string().min(1).optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});

export type NodeCertificate = z.output<typeof certificateSchema>;

/** A new Ed25519 key pair for a node (the same kind of key as the mesh's). */
export const generateNodeKeys = (): SigningKeyPair => generateSigningKeys();

export interface IssueNodeCertificateOptions {
  /** The mesh's private key (PEM): only its holder, the operator, vouches for nodes. */
  readonly meshPrivateKeyPem: string;
  readonly nodeId: string;
  readonly nodePublicKeyPem: string;
  readonly meshId?: string | undefined;
  readonly ttlSeconds?: number;
  readonly now?: number;
}

export function issueNodeCertificate(o: IssueNodeCertificateOptions): string {
  const privateKey = createPrivateKey(o.meshPrivateKeyPem);
  const now = Math.floor((o.now ?? Date.now()) / 1000);
  const payload: NodeCertificate = {
    v: 1,
    kid: keyId(createPublicKey(privateKey)),
    node: o.nodeId,
    key: createPublicKey(o.nodePublicKeyPem).export({ type: 'spki', format: 'pem' }).toString(),
    ...(o.meshId === undefined ? {} : { mesh: o.meshId }),
    iat: now,
    exp: now + (o.ttlSeconds ?? DEFAULT_NODE_CERT_TTL_S),
  };
  return signToken(PREFIX, payload, privateKey);
}

/** Reads a certificate without checking it (to show it, or to check it belongs to a key). */
export function decodeNodeCertificate(token: string): NodeCertificate {
  return decodeToken(PREFIX, token, certificateSchema, 'node certificate');
}

/** Checks node certificates against the mesh's public keys (and mesh id, when set). */
export class NodeCertificateVerifier {
  readonly #keys: TrustedKeys;
  readonly #meshId: string | undefined;
  readonly #cache = new Map<string, NodeCertificate>();

  constructor(meshPublicKeysPem: readonly string[], meshId?: string) {
    this.#keys = new TrustedKeys(meshPublicKeysPem, 'this mesh');
    this.#meshId = meshId;
  }

  /** The certificate's payload if the mesh signed it for `nodeId` and it is current; else PERMISSION_DENIED. */
  verify(token: string, nodeId: string, now = Date.now()): NodeCertificate {
    let cert = this.#cache.get(token);
    if (cert === undefined) {
      cert = this.#keys.verify(PREFIX, token, certificateSchema, 'node certificate');
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, cert);
    }
    if (cert.node !== nodeId) throw denied(`node certificate is for node ${cert.node}, not ${nodeId}`);
    if (this.#meshId !== undefined && cert.mesh !== this.#meshId)
      throw denied(`node certificate is for mesh ${cert.mesh ?? '(none)'}, not ${this.#meshId}`);
    if (cert.exp * 1000 + CLOCK_SKEW_MS < now) throw denied(`node certificate of ${nodeId} has expired`);
    return cert;
  }
}

/** What a node signs: the purpose is part of the signed bytes, so a signature made for one never serves the other. */
export type NodeSignaturePurpose = 'advertisement' | 'heartbeat' | 'challenge';

const signedBytes = (purpose: NodeSignaturePurpose, nodeId: string, data: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(`insights-node/1 ${purpose} ${nodeId}\n`), data]);

/** Signs `data` with a node's private key; base64url. */
export function nodeSign(
  privateKey: KeyObject | string,
  purpose: NodeSignaturePurpose,
  nodeId: string,
  data: Uint8Array,
): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return sign(null, signedBytes(purpose, nodeId, data), key).toString('base64url');
}

/** True when `signature` is the node key's signature of `data` for `purpose`. */
export function nodeVerify(
  publicKeyPem: string,
  purpose: NodeSignaturePurpose,
  nodeId: string,
  data: Uint8Array,
  signature: string,
): boolean {
  try {
    return verify(null, signedBytes(purpose, nodeId, data), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
