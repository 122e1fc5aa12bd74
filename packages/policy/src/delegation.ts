import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import type { NodeCertificateVerifier } from './node-identity.ts';
import { CLOCK_SKEW_MS, decodeToken, denied, keyId, signToken, TrustedKeys } from './signed-token.ts';

/**
 * A node passing its capability on to another node (nested calls) wraps it in a delegation:
 * `icd1.<payload>.<signature>`, signed with the node's own key, naming the target node, carrying
 * the node's certificate and expiring within a minute. A capability minted with a `holder` is
 * accepted only inside a delegation signed by that holder, so one captured on the wire (or read
 * from a node's config) is useless elsewhere, and a delegation captured at one node is refused
 * by every other.
 */
export const DELEGATION_PREFIX = 'icd1';
/** How long a delegation is valid, seconds: short, since the delegating node makes them on demand. */
export const DELEGATION_TTL_S = 60;

const delegationSchema = z.strictObject({
  v: z.literal(1),
  /** Key id of the delegating node's key. */
  kid: z.string().min(1),
  /** The capability passed on. */
  cap: z.string().min(1),
  /** The delegating node's certificate (the mesh vouches for its key). */
  cert: z.string().min(1),
  /** The node this delegation is for. */
  aud: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});

export type Delegation = z.output<typeof delegationSchema>;

export const isDelegation = (token: string): boolean => token.startsWith(`${DELEGATION_PREFIX}.`);

/** Wraps `capability` for `targetNodeId`, signed with the delegating node's key. */
export function delegateCapability(o: {
  capability: string;
  nodePrivateKeyPem: string;
  certificate: string;
  targetNodeId: string;
  now?: number;
}): string {
  const key = createPrivateKey(o.nodePrivateKeyPem);
  const iat = Math.floor((o.now ?? Date.now()) / 1000);
  const payload: Delegation = {
    v: 1,
    kid: keyId(createPublicKey(key)),
    cap: o.capability,
    cert: o.certificate,
    aud: o.targetNodeId,
    iat,
    exp: iat + DELEGATION_TTL_S,
  };
  return signToken(DELEGATION_PREFIX, payload, key);
}

/**
 * Checks a delegation for `nodeId`: the certificate (signed by a mesh key), the signature by the
 * key it names, the audience and the expiry. Returns the capability inside and who delegated it.
 */
export function openDelegation(
  token: string,
  certificates: NodeCertificateVerifier,
  scope: { nodeId?: string | undefined },
  now = Date.now(),
): { capability: string; from: string } {
  const d = decodeToken(DELEGATION_PREFIX, token, delegationSchema, 'delegation');
  const certificate = decodeToken('inc1', d.cert, z.object({ node: z.string() }).loose(), 'node certificate');
  const cert = certificates.verify(d.cert, certificate.node, now);
  // The signature must be by the certified key: check it with a one-key trust set.
  new TrustedKeys([cert.key], 'the delegating node').verify(DELEGATION_PREFIX, token, delegationSchema, 'delegation');
  if (d.aud !== scope.nodeId)
    throw denied(`delegation from node ${cert.node} is for node ${d.aud}, not ${scope.nodeId ?? '(unnamed)'}`);
  if (d.exp * 1000 + CLOCK_SKEW_MS < now) throw denied(`delegation from node ${cert.node} has expired`);
  return { capability: d.cap, from: cert.node };
}
