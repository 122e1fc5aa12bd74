import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { policyContextSchema, policySchema, type PolicyLayer } from './policy.ts';
import { isDelegation, openDelegation } from './delegation.ts';
import { NodeCertificateVerifier } from './node-identity.ts';
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

export { keyId, CLOCK_SKEW_MS };

/**
 * A capability is a signed, expiring list of policy layers: `ic1.<payload>.<signature>`, both
 * base64url, Ed25519 over `ic1.<payload>`. Whoever holds the mesh's private key mints them;
 * nodes hold only public keys, so a node can check a capability but never make one. A capability
 * may name its mesh (`mesh`) and the nodes it is for (`aud`): a node of another mesh, or a node
 * not named, refuses it, so one captured on its way to one node cannot be replayed elsewhere.
 */
const PREFIX = 'ic1';

const payloadSchema = z.strictObject({
  v: z.literal(1),
  kid: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
  sub: z.string().optional(),
  /** The capability's id: what revocation names and the audit records. */
  jti: z.string().min(1).max(64).optional(),
  /** The mesh this capability is for; nodes of another mesh refuse it. */
  mesh: z.string().min(1).optional(),
  /** The node ids this capability is for; any other node refuses it. Absent: every node of the mesh. */
  aud: z.array(z.string().min(1)).min(1).optional(),
  /** The node that holds this capability: accepted only inside that node's delegation (nested calls). */
  holder: z.string().min(1).optional(),
  layers: z.array(z.strictObject({ policy: policySchema, context: policyContextSchema })).min(1),
});

export type CapabilityPayload = z.output<typeof payloadSchema>;

export type MeshKeyPair = SigningKeyPair;

/** A new Ed25519 key pair for minting capabilities; `kid` names the public key to nodes. */
export const generateMeshKeys = (): MeshKeyPair => generateSigningKeys();

export interface MintOptions {
  readonly privateKeyPem: string;
  readonly layers: readonly PolicyLayer[];
  readonly ttlSeconds: number;
  /** Who the capability is for (logged by nodes). */
  readonly subject?: string;
  /** Binds the capability to this mesh id. */
  readonly meshId?: string;
  /** Binds the capability to these node ids. */
  readonly audience?: readonly string[];
  /** Only this node may present it, inside its own delegation to the node it calls. */
  readonly holder?: string;
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
    ...(o.meshId === undefined ? {} : { mesh: o.meshId }),
    ...(o.audience === undefined || o.audience.length === 0 ? {} : { aud: [...o.audience] }),
    ...(o.holder === undefined ? {} : { holder: o.holder }),
    layers: o.layers.map((l) => ({ policy: l.policy, context: { ...l.context } })),
  };
  return signToken(PREFIX, payload, privateKey);
}

/** Reads a capability's payload without checking it: for clients shaping their own view only. */
export function decodeCapability(token: string): CapabilityPayload {
  return decodeToken(PREFIX, token, payloadSchema, 'capability');
}

/** Where a verifier stands: its mesh and its own node id, for the `mesh` and `aud` claims. */
export interface VerifierScope {
  /** This node's mesh: a capability naming another mesh (or none, when set) is refused. */
  readonly meshId?: string | undefined;
  /** This node's id: a capability with an audience that does not name it is refused. */
  readonly nodeId?: string | undefined;
}

/** Public keys a node trusts, by key id. */
export class CapabilityVerifier {
  readonly #keys: TrustedKeys;
  readonly #nodes: NodeCertificateVerifier;
  readonly #scope: VerifierScope;
  readonly #cache = new Map<string, CapabilityPayload>();

  constructor(publicKeysPem: readonly string[], scope: VerifierScope = {}) {
    this.#keys = new TrustedKeys(publicKeysPem);
    this.#nodes = new NodeCertificateVerifier(publicKeysPem, scope.meshId);
    this.#scope = scope;
  }

  get size(): number {
    return this.#keys.size;
  }

  /**
   * Checks signature, key, mesh, audience, holder and expiry; throws PERMISSION_DENIED saying
   * which failed. A delegation (`icd1.`, a node passing its capability on) is opened first.
   */
  verify(token: string, now = Date.now()): CapabilityPayload {
    return this.verifyWithOrigin(token, now).payload;
  }

  /** Like verify, also naming the node that delegated the token (undefined when it came straight from its holder). */
  verifyWithOrigin(token: string, now = Date.now()): { payload: CapabilityPayload; delegatedBy: string | undefined } {
    if (!isDelegation(token)) return { payload: this.#verify(token, undefined, now), delegatedBy: undefined };
    // Delegations live a minute and differ per call target: checked every time, never cached.
    const opened = openDelegation(token, this.#nodes, this.#scope, now);
    return { payload: this.#verify(opened.capability, opened.from, now), delegatedBy: opened.from };
  }

  /** Like verify, for a capability this node holds itself (its own meshCapability): `holder` may name it. */
  verifyHeld(token: string, node: string, now = Date.now()): CapabilityPayload {
    return this.#verify(token, node, now);
  }

  #verify(token: string, heldBy: string | undefined, now: number): CapabilityPayload {
    let payload = this.#cache.get(token);
    if (payload === undefined) {
      payload = this.#keys.verify(PREFIX, token, payloadSchema, 'capability');
      checkScope(payload, this.#scope);
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(token, payload);
    }
    if (payload.holder !== undefined && payload.holder !== heldBy)
      throw denied(
        heldBy === undefined
          ? `capability is held by node ${payload.holder}: it is valid only inside that node's delegation`
          : `capability is held by node ${payload.holder}, but node ${heldBy} delegated it`,
      );
    if (payload.exp * 1000 + CLOCK_SKEW_MS < now) throw denied('capability has expired; get a new one');
    if (payload.iat * 1000 - CLOCK_SKEW_MS > now) throw denied('capability is not valid yet (clock skew?)');
    return payload;
  }
}

function checkScope(payload: CapabilityPayload, scope: VerifierScope): void {
  if (scope.meshId !== undefined && payload.mesh !== scope.meshId)
    throw denied(
      payload.mesh === undefined
        ? `capability names no mesh; this node (mesh ${scope.meshId}) takes only capabilities bound to its mesh`
        : `capability is for mesh ${payload.mesh}, not this node's mesh ${scope.meshId}`,
    );
  if (payload.aud !== undefined && (scope.nodeId === undefined || !payload.aud.includes(scope.nodeId)))
    throw denied(`capability is for node(s) ${payload.aud.join(', ')}, not node ${scope.nodeId ?? '(unnamed)'}`);
}
