/**
 * The proxy's own policy as the authority of the calls it makes where no node checks them (local
 * mode): a module's nested calls (`ctx.mesh`) are checked against it at every hop, as a node
 * checks them against a caller's capability. Deny wins, locks are filled in.
 */
import { applyDecision, decide, type PolicyLayer } from '@insights/policy';
import type { CallAuthority } from '@insights/runtime';

export function policyAuthority(layers: readonly PolicyLayer[] | undefined): CallAuthority | undefined {
  if (layers === undefined || layers.length === 0) return undefined;
  return {
    label: 'local policy',
    authorize: (target, args) => applyDecision(decide(layers, target), args, `${target.module}.${target.name}`),
  };
}
