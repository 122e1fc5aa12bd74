import { z } from 'zod';

/**
 * A policy narrows what a caller may do. Rules are tried in order; the first whose pattern
 * matches decides; `default` decides when none does. An allowing rule may lock parameters to
 * values from the trusted context (`lock: { course: 'course' }` = parameter `course` takes
 * `context.course`, and the caller can no longer pass it).
 */
export const policyRuleSchema = z.strictObject({
  /** Glob(s) over analytic names: `grades.*`, `*_histogram`, `query:*`, `view:examples.plot_*`. */
  match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  effect: z.enum(['allow', 'deny']).default('allow'),
  /** parameter name -> context key whose value it is locked to */
  lock: z.record(z.string().min(1), z.string().min(1)).optional(),
});

export const policySchema = z.strictObject({
  default: z.enum(['allow', 'deny']),
  rules: z.array(policyRuleSchema).default([]),
  /**
   * Research access without identities: learner identifiers in results are replaced by keyed
   * pseudonyms (HMAC with the node's key for this project), and pseudonyms are accepted as
   * parameters. The project names the key in the nodes' `pseudonyms.keys`.
   */
  pseudonymise: z.strictObject({ project: z.string().min(1) }).optional(),
});

export type Policy = z.input<typeof policySchema>;
export type ParsedPolicy = z.output<typeof policySchema>;
export type PolicyContext = Readonly<Record<string, string | number | boolean>>;

/** One narrowing step: a policy and the context its locks read from. */
export interface PolicyLayer {
  readonly policy: ParsedPolicy;
  readonly context: PolicyContext;
}

export const policyContextSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export function parsePolicy(input: unknown): ParsedPolicy {
  const r = policySchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`policy: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}
