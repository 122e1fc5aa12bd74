import { InsightsError } from '@insights/sdk';
import type { QueryKind } from '@insights/sdk/internal';
import {
  applyDecision,
  decide,
  decodeCapability,
  mintCapability,
  parsePolicy,
  schemaParameters,
  stripLocked,
  type Policy,
  type PolicyContext,
  type PolicyLayer,
} from '@insights/policy';
import type { AnalyticDescription, MeshDescription } from './router.ts';

const ALLOW_ALL: PolicyLayer = { policy: parsePolicy({ default: 'allow' }), context: {} };

/** Capabilities are re-minted when less than this is left of their life, ms. */
const RENEW_BEFORE_MS = 60_000;

/**
 * The policy layers a proxy carries and the capability that proves them to nodes. The proxy
 * uses the layers to shape what it shows (names, schemas) and to fail fast; nodes enforce.
 */
export class Restriction {
  #token: string | undefined;
  #expiresAt: number;

  private constructor(
    readonly layers: readonly PolicyLayer[],
    private readonly signingKey: string | undefined,
    private readonly mint: { ttlSeconds: number; subject?: string | undefined } | undefined,
    token: string | undefined,
    expiresAt: number,
    /** Minted capabilities name this mesh, so nodes of another mesh refuse them. */
    private readonly meshId?: string,
  ) {
    this.#token = token;
    this.#expiresAt = expiresAt;
  }

  /**
   * No restriction. With the signing key, calls still carry an allow-all capability, so an
   * administrator's client works against nodes that require capabilities.
   */
  static none(signingKey?: string, meshId?: string): Restriction {
    if (signingKey === undefined) return new Restriction([], undefined, undefined, undefined, Infinity, meshId);
    const r = new Restriction([], signingKey, { ttlSeconds: 3600 }, undefined, 0, meshId);
    r.#renew();
    return r;
  }

  /** From a capability, or a chain of them (space-separated; every one applies). */
  static fromCapability(token: string, signingKey?: string, meshId?: string): Restriction {
    const payloads = token.split(' ').map((t) => decodeCapability(t));
    const exp = Math.min(...payloads.map((p) => p.exp));
    return new Restriction(
      payloads.flatMap((p) => p.layers),
      signingKey,
      undefined,
      token,
      exp * 1000,
      meshId ?? payloads[0]?.mesh,
    );
  }

  narrow(
    policy: Policy,
    context: PolicyContext,
    opts: { ttlSeconds?: number; subject?: string },
    needsToken: boolean,
  ): Restriction {
    const layers = [...this.layers, { policy: parsePolicy(policy), context: { ...context } }];
    if (needsToken && this.signingKey === undefined)
      throw new InsightsError(
        'FAILED_PRECONDITION',
        'restrict needs the mesh signing key to mint a capability: connect({ signingKey }) or use a capability from `insights token`',
      );
    const mint = { ttlSeconds: opts.ttlSeconds ?? 3600, subject: opts.subject };
    const r = new Restriction(layers, this.signingKey, mint, undefined, 0, this.meshId);
    if (needsToken) r.#renew();
    return r;
  }

  token(): string | undefined {
    if (this.mint !== undefined && this.signingKey !== undefined && this.#expiresAt - Date.now() < RENEW_BEFORE_MS) this.#renew();
    return this.#token;
  }

  filterNames(kind: QueryKind, names: string[], mesh: MeshDescription): string[] {
    if (this.layers.length === 0) return names;
    return names.filter((n) => {
      const a = find(mesh, kind, n);
      return a !== undefined && decide(this.layers, policyTarget(a)).allowed;
    });
  }

  filterDescription(mesh: MeshDescription): MeshDescription {
    if (this.layers.length === 0) return mesh;
    return {
      nodes: mesh.nodes,
      analytics: mesh.analytics.flatMap((a) => {
        const d = decide(this.layers, policyTarget(a));
        return d.allowed ? [{ ...a, params: stripLocked(a.params, d.locks) }] : [];
      }),
    };
  }

  /**
   * Fails fast on what the nodes would refuse anyway; with `applyLocks` (local mode, where no
   * node checks) it also fills in the locked parameters.
   */
  check(
    kind: QueryKind,
    name: string,
    args: Record<string, unknown>,
    mesh: MeshDescription,
    applyLocks: boolean,
  ): Record<string, unknown> {
    if (this.layers.length === 0) return args;
    const a = find(mesh, kind, name);
    if (a === undefined) return args; // unknown here: let the node answer NOT_FOUND or PERMISSION_DENIED
    const locked = applyDecision(decide(this.layers, policyTarget(a)), args, `${a.module}.${a.name}`);
    return applyLocks ? locked : args;
  }

  #renew(): void {
    if (this.signingKey === undefined || this.mint === undefined) return;
    this.#token = mintCapability({
      privateKeyPem: this.signingKey,
      layers: this.layers.length > 0 ? this.layers : [ALLOW_ALL],
      ttlSeconds: this.mint.ttlSeconds,
      ...(this.mint.subject === undefined ? {} : { subject: this.mint.subject }),
      ...(this.meshId === undefined ? {} : { meshId: this.meshId }),
    });
    this.#expiresAt = Date.now() + this.mint.ttlSeconds * 1000;
  }
}

function find(mesh: MeshDescription, kind: QueryKind, name: string): AnalyticDescription | undefined {
  const all = mesh.analytics.filter((a) => a.kind === kind);
  return (
    all.find((a) => `${a.module}.${a.name}` === name) ??
    (() => {
      const bare = all.filter((a) => a.name === name || a.aliases.includes(name));
      return bare.length === 1 ? bare[0] : undefined;
    })()
  );
}

/** Locks apply only to analytics that have the locked parameter. */
function policyTarget(a: AnalyticDescription): AnalyticDescription & { parameters: string[] } {
  return { ...a, parameters: schemaParameters(a.params) };
}
