import { CLOCK_SKEW_MS, decodeNodeCertificate, keyId, NodeCertificateVerifier, nodeSign, nodeVerify } from '@insights/policy';
import { canonicalJson } from '@insights/sdk/internal';
import type { Advertisement, Heartbeat } from './advertisement.ts';

/** What a node needs to sign its advertisements: its private key and the mesh's certificate for it. */
export interface NodeIdentity {
  readonly privateKeyPem: string;
  /** `inc1.` certificate from the operator (`insights keys node`); without one the node advertises unsigned. */
  readonly certificate?: string | undefined;
}

const bytesOf = (ad: object): Uint8Array => new TextEncoder().encode(canonicalJson(ad));

/** The advertisement with the node's certificate and its signature over everything else. */
export function signAdvertisement(ad: Advertisement, identity: NodeIdentity): Advertisement {
  if (identity.certificate === undefined) return ad;
  const { signature: _s, ...body } = { ...ad, certificate: identity.certificate };
  return { ...body, signature: nodeSign(identity.privateKeyPem, 'advertisement', ad.id, bytesOf(body)) };
}

/**
 * Which advertisements a client believes: those carrying a certificate the mesh key signed for
 * that node id, and signed by the key the certificate names. `check` takes the entry as parsed
 * JSON (before defaults), since the signature covers exactly what the node wrote.
 */
export class AdvertisementTrust {
  readonly #certificates: NodeCertificateVerifier;

  constructor(meshPublicKeysPem: readonly string[], meshId?: string) {
    this.#certificates = new NodeCertificateVerifier(meshPublicKeysPem, meshId);
  }

  /** The node's public key (PEM) when the advertisement is genuine; throws saying why not. */
  check(nodeId: string, raw: unknown): string {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not an object');
    const { signature, ...body } = raw as Record<string, unknown>;
    if (typeof body.certificate !== 'string' || typeof signature !== 'string')
      throw new Error('unsigned advertisement (no node certificate or signature)');
    const cert = this.#certificates.verify(body.certificate, nodeId);
    if (!nodeVerify(cert.key, 'advertisement', nodeId, bytesOf(body), signature))
      throw new Error(`advertisement signature does not match the key of node ${nodeId}'s certificate`);
    return cert.key;
  }
}

/** A heartbeat stamped with the node's clock and signed with its key (unchanged without a certificate). */
export function signHeartbeat(nodeId: string, beat: Heartbeat, identity: NodeIdentity | undefined, now = Date.now()): Heartbeat {
  if (identity?.certificate === undefined) return beat;
  const { sig: _s, ...body } = { ...beat, at: now };
  return { ...body, sig: nodeSign(identity.privateKeyPem, 'heartbeat', nodeId, bytesOf(body)) };
}

/**
 * Why a heartbeat must not be believed, or undefined when it may: it must be signed by the key of
 * the node's trusted advertisement, stamped later than the last one taken (`lastAt`), and no
 * older than its TTL (plus clock skew) by the watcher's clock, so a recorded beat replayed into
 * the bucket cannot keep a dead node alive or flip its state.
 */
export function heartbeatRefusal(
  nodeId: string,
  raw: Record<string, unknown>,
  nodeKey: string,
  lastAt: number,
  now = Date.now(),
): string | undefined {
  const { sig, ...body } = raw;
  const at = body.at;
  if (typeof sig !== 'string' || typeof at !== 'number') return 'unsigned heartbeat';
  if (!nodeVerify(nodeKey, 'heartbeat', nodeId, bytesOf(body), sig))
    return `heartbeat signature does not match the key of node ${nodeId}'s certificate`;
  if (at <= lastAt) return 'heartbeat replayed (not newer than the last one)';
  const ttlMs = typeof body.ttlMs === 'number' ? body.ttlMs : 0;
  if (now - at > ttlMs + CLOCK_SKEW_MS) return `heartbeat replayed (stamped ${Math.round((now - at) / 1000)} s ago)`;
  return undefined;
}

/** True when `certificate` vouches for `publicKeyPem` (a node checks its own certificate at start). */
export function certificateMatchesKey(certificate: string, publicKeyPem: string): boolean {
  return keyId(decodeNodeCertificate(certificate).key) === keyId(publicKeyPem);
}
