import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InsightsError } from '@insights/sdk';
import { applyDecision, CapabilityVerifier, decide, stripLocked, type PolicyLayer, type VerifierScope } from '@insights/policy';
import type { Dispatcher } from '@insights/runtime';
import { kindFromWire, type WireDescribeResponse } from '@insights/wire';

/**
 * Enforces capabilities on every call that reaches this node from outside (gRPC and HTTP):
 * verifies the signature and expiry, applies every policy layer, fills in locked parameters.
 * Nested calls from modules (`ctx.mesh`) run with the module's own authority and skip this.
 */
export class Authorizer {
  readonly #verifier: CapabilityVerifier | undefined;

  constructor(
    private readonly dispatcher: Dispatcher,
    trustedKeysPem: readonly string[],
    private readonly required: boolean,
    /** This node's mesh and id: capabilities bound to another mesh or other nodes are refused. */
    scope: VerifierScope = {},
  ) {
    this.#verifier = trustedKeysPem.length === 0 ? undefined : new CapabilityVerifier(trustedKeysPem, scope);
  }

  /** The arguments to run the call with, or PERMISSION_DENIED. */
  authorize(kind: 'query' | 'view' | 'event-property', name: string, args: unknown, capability: string): unknown {
    if (capability === '') {
      if (this.required)
        throw new InsightsError(
          'PERMISSION_DENIED',
          'this node requires a capability on every call; ask your mesh operator for one',
        );
      return args;
    }
    const layers = this.#layers(capability);
    // A property is computed from the caller's own event and reads no module state: any valid
    // capability may call it (policies name queries and views).
    if (kind === 'event-property') return args;
    const { module, analytic } = this.dispatcher.analytic(kind, name);
    const target = { kind, module, name: analytic.name, aliases: analytic.aliases };
    return applyDecision(decide(layers, target), args, `${module}.${analytic.name}`);
  }

  /** Describe as a capability holder should see it. */
  filterDescribe(d: WireDescribeResponse, capability: string): WireDescribeResponse {
    if (capability === '') {
      if (this.required)
        throw new InsightsError('PERMISSION_DENIED', 'this node requires a capability; ask your mesh operator for one');
      return d;
    }
    const layers = this.#layers(capability);
    return {
      node: d.node,
      modules: d.modules.map((m) => ({
        ...m,
        analytics: m.analytics.flatMap((a) => {
          const kind = kindFromWire(a.kind);
          if (kind === 'event-property') return [a];
          if (kind !== 'query' && kind !== 'view') return [];
          const decision = decide(layers, { kind, module: m.name, name: a.name, aliases: a.aliases });
          if (!decision.allowed) return [];
          const schema = JSON.parse(a.paramsSchemaJson || '{}') as Record<string, unknown>;
          return [{ ...a, paramsSchemaJson: JSON.stringify(stripLocked(schema, decision.locks)) }];
        }),
      })),
    };
  }

  #layers(capability: string): readonly PolicyLayer[] {
    if (this.#verifier === undefined)
      throw new InsightsError('PERMISSION_DENIED', 'this node trusts no capability keys (capabilities.trustedKeys is empty)');
    return this.#verifier.verify(capability).layers;
  }
}

/** Trusted keys are given inline (PEM) or as files relative to the config. */
export function readTrustedKeys(keys: readonly string[], baseDir: string): string[] {
  return keys.map((k) => (k.includes('BEGIN PUBLIC KEY') ? k : readFileSync(path.resolve(baseDir, k), 'utf8')));
}
