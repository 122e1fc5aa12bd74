import { decodeCapability, globToRegExp } from '@insights/policy';
import type { CallAuthority, Logger, NestedCaller, NestedCallGuard } from '@insights/runtime';
import type { Authorizer } from './authorizer.ts';
import { CapabilityAuthority } from './capability-authority.ts';
import type { NodeConfig } from './config.ts';

/**
 * Which authority a module's nested call runs with. During a caller's request: the caller's
 * (bounded by the module's own, so a node's capability still limits what its modules reach).
 * With no caller (event handlers, jobs): the module's own, which the operator grants in
 * `capabilities.moduleCapabilities` (default: the node's `meshCapability`; none: unchecked on
 * this node). An operator may let a module call listed analytics on its own authority during a
 * caller's request (`capabilities.elevate`, like setuid): each such call is logged.
 */
export class NestedCallRules implements NestedCallGuard {
  readonly #node: CapabilityAuthority | undefined;
  readonly #modules = new Map<string, CapabilityAuthority>();
  readonly #elevate = new Map<string, RegExp[]>();

  constructor(
    config: NodeConfig['capabilities'],
    authorizer: Authorizer,
    private readonly log: Logger,
  ) {
    const own = (token: string, what: string) => {
      try {
        return authorizer.verify(token, authorizer.nodeId);
      } catch (e) {
        // A node that trusts no keys still uses its own configured token (the operator wrote it).
        if (config.trustedKeys.length === 0) return unverified(token, log);
        throw new Error(`capabilities.${what}: ${(e as Error).message}`);
      }
    };
    this.#node = config.meshCapability === undefined ? undefined : own(config.meshCapability, 'meshCapability');
    for (const [module, token] of Object.entries(config.moduleCapabilities))
      this.#modules.set(module, own(token, `moduleCapabilities.${module}`));
    for (const [module, globs] of Object.entries(config.elevate))
      this.#elevate.set(
        module,
        globs.map((g) => globToRegExp(g)),
      );
  }

  /** The module's own authority: for work with no caller. */
  moduleAuthority(module: string): CapabilityAuthority | undefined {
    return this.#modules.get(module) ?? this.#node;
  }

  authorityFor(caller: NestedCaller | undefined, target: string): CallAuthority | undefined {
    if (caller === undefined) return this.#node;
    const own = this.moduleAuthority(caller.module);
    const authority = caller.authority;
    if (authority === undefined) return own;
    if (this.#elevate.get(caller.module)?.some((re) => re.test(target)) === true) {
      this.log.info('nested call on the module authority (elevate)', {
        module: caller.module,
        analytic: target,
        caller: authority.label,
      });
      return own;
    }
    return authority instanceof CapabilityAuthority ? authority.and(own) : authority;
  }
}

function unverified(token: string, log: Logger): CapabilityAuthority {
  const p = decodeCapability(token);
  return new CapabilityAuthority(p.layers, token, `${p.sub ?? '(no subject)'}#${p.jti ?? p.kid}`, log);
}
