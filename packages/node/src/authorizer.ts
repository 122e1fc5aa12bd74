import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InsightsError } from '@insights/sdk';
import {
  CapabilityVerifier,
  decide,
  decodeCapability,
  isDelegation,
  schemaParameters,
  stripLocked,
  type PolicyLayer,
  type VerifierScope,
} from '@insights/policy';
import type { Dispatcher, Logger } from '@insights/runtime';
import { kindFromWire, type WireDescribeResponse } from '@insights/wire';
import { forwardedParent } from './audit-parent.ts';
import { CapabilityAuthority } from './capability-authority.ts';
import type { Pseudonyms } from './pseudonyms.ts';

/** A call may carry a chain of capabilities (a caller's, then the forwarding node's): all must allow. */
const MAX_CHAIN = 4;
const MAX_CACHED_AUTHORITIES = 10_000;

/** A call let in: the arguments to run it with, and the authority its nested calls carry. */
export interface AuthorizedCall {
  readonly args: unknown;
  readonly authority: CapabilityAuthority | undefined;
  /** The record it is nested in (`parent_call`), when a certified node forwarded it (see forwardedParent). */
  readonly parentId: string | undefined;
}

/**
 * Enforces capabilities on every call that reaches this node from outside (gRPC and HTTP):
 * verifies the signature and expiry of every token the call carries, applies every policy
 * layer, fills in locked parameters. The verified authority then travels with the call: its
 * nested calls (`ctx.mesh`) are checked against it too (see NestedCallRules).
 */
export class Authorizer {
  readonly #verifier: CapabilityVerifier | undefined;
  /** This node's id (scope), for the node's own held capabilities. */
  readonly nodeId: string | undefined;
  readonly #authorities = new Map<string, CapabilityAuthority>();

  constructor(
    private readonly dispatcher: Dispatcher,
    trustedKeysPem: readonly string[],
    private readonly required: boolean,
    private readonly log: Logger,
    /** Capability ids revoked before they expire (checked on every call). */
    private readonly revoked: { has(id: string): boolean } = { has: () => false },
    /** Pseudonyms per research project (policies with `pseudonymise`). */
    private readonly pseudonyms: ReadonlyMap<string, Pseudonyms> = new Map(),
    /** This node's mesh and id: capabilities bound to another mesh or other nodes are refused. */
    scope: VerifierScope = {},
  ) {
    this.#verifier = trustedKeysPem.length === 0 ? undefined : new CapabilityVerifier(trustedKeysPem, scope);
    this.nodeId = scope.nodeId;
  }

  /**
   * The call's arguments (locks filled in), authority and audit parent, or PERMISSION_DENIED
   * (recorded in the audit trail, in the trace `traceparent` names and under the parent
   * `parentCall` names when a certified node forwarded the call: a refused nested call stays in
   * its tree).
   */
  authorize(
    kind: 'query' | 'view' | 'event-property',
    name: string,
    args: unknown,
    capability: string,
    caller: { readonly parentCall?: string | undefined; readonly traceparent?: string | undefined } = {},
  ): AuthorizedCall {
    try {
      const { args: checked, authority } = this.#authorize(kind, name, args, capability);
      return { args: checked, authority, parentId: forwardedParent(caller.parentCall, authority) };
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'PERMISSION_DENIED' || code === 'UNAUTHENTICATED') {
        // Refused by a policy, the capability verified: its label and (from a certified node) parent hold.
        const verified = this.#verifiedOrUndefined(capability);
        this.dispatcher.recordRefused({
          kind,
          name,
          args,
          who: verified?.label ?? this.#claimedWho(capability),
          parentId: forwardedParent(caller.parentCall, verified),
          traceparent: caller.traceparent,
          code,
        });
      }
      throw e;
    }
  }

  #verifiedOrUndefined(capability: string): CapabilityAuthority | undefined {
    if (capability === '') return undefined;
    try {
      return this.verify(capability);
    } catch {
      return undefined; // refused for the capability itself: its claims are worth nothing
    }
  }

  /** Who a call refused for its capability claimed to be (subjects and ids, unverified: for the audit only). */
  #claimedWho(capability: string): string | undefined {
    if (capability === '') return undefined;
    try {
      return capability
        .split(' ')
        .slice(0, MAX_CHAIN)
        .map((t) => {
          if (isDelegation(t)) return '(unverified delegation)';
          const p = decodeCapability(t);
          return `${p.sub ?? '(no subject)'}#${p.jti ?? p.kid}`;
        })
        .join(' via ');
    } catch {
      return '(not a capability)';
    }
  }

  #authorize(
    kind: 'query' | 'view' | 'event-property',
    name: string,
    args: unknown,
    capability: string,
  ): Omit<AuthorizedCall, 'parentId'> {
    // A node-internal route (no analytic name starts with `$`): only mesh nodes, named to the route.
    if (kind === 'query' && name.startsWith('$')) {
      const { node, authority } = this.#callingNode(capability);
      return { args: { from: node, request: args }, authority };
    }
    if (capability === '') {
      if (this.required)
        throw new InsightsError(
          'PERMISSION_DENIED',
          'this node requires a capability on every call; ask your mesh operator for one',
        );
      return { args, authority: undefined };
    }
    const authority = this.verify(capability);
    // A property is checked like a query (`property:` patterns), against every module serving the name.
    if (kind === 'event-property') {
      const modules = this.dispatcher.propertyModules(name);
      if (modules.length === 0) throw new InsightsError('NOT_FOUND', `no event property named "${name}" on this node`);
      for (const module of modules)
        authority.authorize({ kind: 'property', module, name, aliases: [], parameters: ['event'] }, {});
      return { args, authority };
    }
    const { module, analytic } = this.dispatcher.analytic(kind, name);
    const target = {
      kind,
      module,
      name: analytic.name,
      aliases: analytic.aliases,
      parameters: schemaParameters(analytic.paramsSchema),
    };
    const given =
      authority.pseudonyms === undefined
        ? args
        : authority.pseudonyms.args(args, this.dispatcher.host(module)?.manifest.learnerFields);
    return { args: authority.authorize(target, given as Record<string, unknown>), authority };
  }

  /**
   * The mesh node a call comes from: every token of its capability chain delegated by one node
   * the mesh certified (what nodes do on the calls they make), so neither a client nor a module
   * reaches a node route. PERMISSION_DENIED otherwise.
   */
  #callingNode(capability: string): { node: string; authority: CapabilityAuthority } {
    const refused = (why: string) => new InsightsError('PERMISSION_DENIED', `this route serves only mesh nodes: ${why}`);
    if (capability === '')
      throw refused('the call carries no capability (a node sends its own, delegated under its node certificate)');
    const authority = this.verify(capability);
    const node = authority.forwardedBy;
    if (node === undefined)
      throw refused('the capability is not delegated by one certified node (identity.keyFile and identity.certificateFile)');
    return { node, authority };
  }

  /** Describe as a capability holder should see it. */
  filterDescribe(d: WireDescribeResponse, capability: string): WireDescribeResponse {
    if (capability === '') {
      if (this.required)
        throw new InsightsError('PERMISSION_DENIED', 'this node requires a capability; ask your mesh operator for one');
      return d;
    }
    const layers = this.verify(capability).layers;
    return {
      node: d.node,
      modules: d.modules.map((m) => ({
        ...m,
        analytics: m.analytics.flatMap((a) => {
          const kind = kindFromWire(a.kind);
          if (kind !== 'query' && kind !== 'view' && kind !== 'event-property') return [];
          const schema = JSON.parse(a.paramsSchemaJson || '{}') as Record<string, unknown>;
          const parameters = schemaParameters(schema);
          const policyKind = kind === 'event-property' ? 'property' : kind;
          const decision = decide(layers, { kind: policyKind, module: m.name, name: a.name, aliases: a.aliases, parameters });
          if (!decision.allowed) return [];
          return [{ ...a, paramsSchemaJson: JSON.stringify(stripLocked(schema, decision.locks)) }];
        }),
      })),
    };
  }

  /** Verifies every token of a capability chain (space-separated); PERMISSION_DENIED says which failed. */
  /** `heldBy`: this node's id, for the node's own tokens (a capability it holds may name it as holder). */
  verify(capability: string, heldBy?: string): CapabilityAuthority {
    const verifier = this.#verifier;
    if (verifier === undefined)
      throw new InsightsError('PERMISSION_DENIED', 'this node trusts no capability keys (capabilities.trustedKeys is empty)');
    const tokens = capability.split(' ');
    if (tokens.length > MAX_CHAIN)
      throw new InsightsError(
        'PERMISSION_DENIED',
        `a call carries at most ${MAX_CHAIN} capabilities; this one carries ${tokens.length}`,
      );
    // Signature and expiry are checked on every call (the verifier caches signatures, not expiry).
    const verified = tokens.map((t) =>
      heldBy === undefined ? verifier.verifyWithOrigin(t) : { payload: verifier.verifyHeld(t, heldBy), delegatedBy: undefined },
    );
    const payloads = verified.map((v) => v.payload);
    for (const p of payloads)
      if (p.jti !== undefined && this.revoked.has(p.jti))
        throw new InsightsError('PERMISSION_DENIED', `capability ${p.jti} has been revoked; ask for a new one`);
    let authority = this.#authorities.get(capability);
    if (authority === undefined) {
      // Each hop of the chain, and the node that passed a token on (delegated it): the audit's `who`.
      const label = verified
        .map(({ payload: p, delegatedBy }) => {
          const who = `${p.sub ?? '(no subject)'}#${p.jti ?? p.kid}`;
          return delegatedBy === undefined ? who : `${who} via node:${delegatedBy}#delegation`;
        })
        .join(' via ');
      const layers = payloads.flatMap((p) => p.layers);
      const origins = new Set(verified.map((v) => v.delegatedBy));
      const [forwardedBy] = origins.size === 1 ? origins : [];
      authority = new CapabilityAuthority(
        layers,
        capability,
        label,
        this.log,
        pseudonymsOf(layers, this.pseudonyms),
        forwardedBy,
      );
      if (this.#authorities.size >= MAX_CACHED_AUTHORITIES) this.#authorities.clear();
      this.#authorities.set(capability, authority);
    }
    return authority;
  }
}

/** The pseudonyms a capability's layers call for: none, or one project's (two projects in one chain deny). */
function pseudonymsOf(layers: readonly PolicyLayer[], byProject: ReadonlyMap<string, Pseudonyms>): Pseudonyms | undefined {
  const projects = [
    ...new Set(layers.flatMap((l) => (l.policy.pseudonymise === undefined ? [] : [l.policy.pseudonymise.project]))),
  ];
  if (projects.length === 0) return undefined;
  if (projects.length > 1)
    throw new InsightsError('PERMISSION_DENIED', `a capability may pseudonymise for one project, not ${projects.join(' and ')}`);
  const p = byProject.get(projects[0]!);
  if (p === undefined)
    throw new InsightsError('PERMISSION_DENIED', `this node has no pseudonym key for project ${projects[0]!} (pseudonyms.keys)`);
  return p;
}

/** Trusted keys are given inline (PEM) or as files relative to the config. */
export function readTrustedKeys(keys: readonly string[], baseDir: string): string[] {
  return keys.map((k) => (k.includes('BEGIN PUBLIC KEY') ? k : readFileSync(path.resolve(baseDir, k), 'utf8')));
}
