/**
 * The proxy's own policy as the authority of the calls it makes where no node checks them (local
 * mode): a module's nested calls (`ctx.mesh`) are checked against it at every hop, as a node
 * checks them against a caller's capability. Deny wins, locks are filled in.
 */
import { applyDecision, decide, type PolicyLayer } from '@insights/policy';
import type { CallAuthority } from '@insights/runtime';
import { InsightsError } from '@insights/sdk';

export function policyAuthority(layers: readonly PolicyLayer[] | undefined): CallAuthority | undefined {
  if (layers === undefined || layers.length === 0) return undefined;
  // Pseudonyms are keyed by a secret the nodes hold; a process holding the data and the key could
  // undo them, so local mode refuses instead of showing identities to a pseudonymised policy.
  const project = layers.find((l) => l.policy.pseudonymise !== undefined)?.policy.pseudonymise?.project;
  if (project !== undefined)
    throw new InsightsError(
      'FAILED_PRECONDITION',
      `this policy pseudonymises (project ${project}), which only a node can do (it holds the project's key in pseudonyms.keys); local mode cannot: connect to a node instead`,
      { parameter: 'pseudonymise' },
    );
  return {
    label: 'local policy',
    authorize: (target, args) => applyDecision(decide(layers, target), args, `${target.module}.${target.name}`),
  };
}
