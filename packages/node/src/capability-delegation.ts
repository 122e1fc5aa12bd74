import { delegateCapability, DELEGATION_TTL_S } from '@insights/policy';
import type { NodeIdentity } from '@insights/registry';

/** A delegation is made again after half its lifetime, so one in flight never expires on the way. */
const RENEW_MS = (DELEGATION_TTL_S * 1000) / 2;

/**
 * How this node passes a capability on to the node it calls (nested calls): wrapped in a
 * delegation signed with its own key for that node only (see @insights/policy delegation.ts).
 * One signature per target per half minute, not per call. Without a certificate the node has no
 * identity other nodes believe, so capabilities go as they are.
 */
export function capabilityDelegator(identity: NodeIdentity): ((capability: string, target: string) => string) | undefined {
  const certificate = identity.certificate;
  if (certificate === undefined) return undefined;
  const made = new Map<string, { capability: string; token: string; at: number }>();
  return (capability, target) => {
    const now = Date.now();
    const last = made.get(target);
    if (last !== undefined && last.capability === capability && now - last.at < RENEW_MS) return last.token;
    const token = delegateCapability({
      capability,
      nodePrivateKeyPem: identity.privateKeyPem,
      certificate,
      targetNodeId: target,
      now,
    });
    if (made.size > 10_000) made.clear();
    made.set(target, { capability, token, at: now });
    return token;
  };
}
