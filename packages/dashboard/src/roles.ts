import type { Mesh } from '@insights/client';
import { decide, parsePolicy, type ParsedPolicy, type PolicyTarget } from '@insights/policy';
import { InsightsError } from '@insights/sdk';
import type { DashboardConfig } from './config.ts';
import { principalKey, type Principal } from './principal.ts';

/** Restricted proxies kept per principal; beyond this the least recently used is dropped. */
const MAX_CACHED_PROXIES = 500;
const CAPABILITY_TTL_SECONDS = 3600;

/**
 * Every request acts through its principal's own proxy, `admin.restrict(rolePolicy, context)`:
 * the listings the user sees come from it, and each call carries its capability, so nodes
 * refuse what the role denies even when the dashboard is bypassed or a URL is edited.
 */
export class RoleMeshes {
  readonly #policies = new Map<string, ParsedPolicy>();
  readonly #cache = new Map<string, Mesh>();
  readonly #canMint: boolean;

  constructor(
    private readonly admin: Mesh,
    config: DashboardConfig,
  ) {
    for (const [name, role] of Object.entries(config.roles)) this.#policies.set(name, parsePolicy(role.policy));
    this.#canMint = config.signingKeyPem !== undefined;
  }

  /** The principal's proxy. */
  meshFor(p: Principal): Mesh {
    const key = principalKey(p);
    let mesh = this.#cache.get(key);
    if (mesh !== undefined) {
      this.#cache.delete(key); // re-insert: most recently used last
      this.#cache.set(key, mesh);
      return mesh;
    }
    const policy = this.#policy(p.role);
    const allowsAll = policy.default === 'allow' && policy.rules.length === 0;
    // Without a signing key only an allow-all role can exist (config checks it): use the plain proxy.
    mesh =
      allowsAll && !this.#canMint
        ? this.admin
        : this.admin.restrict(policy, p.context, { subject: p.user, ttlSeconds: CAPABILITY_TTL_SECONDS });
    this.#cache.set(key, mesh);
    if (this.#cache.size > MAX_CACHED_PROXIES) this.#cache.delete(this.#cache.keys().next().value as string);
    return mesh;
  }

  /**
   * An embed's proxy: the principal's role, with the embed named as its subject. The embed route
   * calls only the grant's view with the grant's arguments; the capability is not narrowed to
   * that view, because nested calls carry the caller's authority and the view's own nested calls
   * (plot_grades -> get_grades) must pass what the role allows.
   */
  embedMeshFor(p: Principal, analytic: string): Mesh {
    return this.meshFor(p).restrict({ default: 'allow' }, {}, { subject: `embed:${p.user}:${analytic}` });
  }

  /** Parameters the role sets for this user (shown read-only in forms). */
  locks(p: Principal, target: PolicyTarget): Readonly<Record<string, string | number | boolean>> {
    const d = decide([{ policy: this.#policy(p.role), context: p.context }], target);
    return d.allowed ? d.locks : {};
  }

  hasRole(role: string): boolean {
    return this.#policies.has(role);
  }

  #policy(role: string): ParsedPolicy {
    const policy = this.#policies.get(role);
    if (policy === undefined) throw new InsightsError('PERMISSION_DENIED', `role "${role}" is not configured on this dashboard`);
    return policy;
  }
}
