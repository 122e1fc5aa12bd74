import { InsightsError } from '@insights/sdk';
import { globToRegExp } from './glob.ts';
import type { PolicyLayer } from './policy.ts';

/** The analytic a call targets, as far as policies see it. */
export interface PolicyTarget {
  /** `property`: an event property called from outside (`POST /property/<name>`), matched by `property:` patterns. */
  readonly kind: 'query' | 'view' | 'property';
  readonly module: string;
  readonly name: string;
  readonly aliases?: readonly string[];
  /**
   * The analytic's parameter names, when known. A lock applies only to analytics that have the
   * locked parameter: `{ match: '*', lock: { course: 'course' } }` fills `course` in where there
   * is one and leaves analytics without it callable. Unknown (undefined): every lock applies.
   */
  readonly parameters?: readonly string[];
}

export type Decision =
  | { readonly allowed: true; readonly locks: Readonly<Record<string, string | number | boolean>> }
  | { readonly allowed: false; readonly reason: string };

/**
 * Every layer must allow; locks of all layers apply to the parameters the analytic has (two
 * layers locking one parameter to different values deny).
 */
export function decide(layers: readonly PolicyLayer[], target: PolicyTarget): Decision {
  const names = [`${target.module}.${target.name}`, target.name, ...(target.aliases ?? [])];
  const locks: Record<string, string | number | boolean> = {};
  for (const [i, layer] of layers.entries()) {
    const rule = layer.policy.rules.find((r) =>
      (Array.isArray(r.match) ? r.match : [r.match]).some((p) => matches(p, target.kind, names)),
    );
    const effect = rule?.effect ?? layer.policy.default;
    if (effect === 'deny')
      return { allowed: false, reason: `${target.kind} ${target.module}.${target.name} is not allowed by your policy` };
    for (const [param, key] of Object.entries(rule?.lock ?? {})) {
      if (target.parameters !== undefined && !target.parameters.includes(param)) continue;
      const value = layer.context[key];
      if (value === undefined)
        return {
          allowed: false,
          reason: `policy layer ${i + 1} locks "${param}" to context "${key}", which this capability does not carry`,
        };
      if (param in locks && locks[param] !== value)
        return { allowed: false, reason: `policy layers lock "${param}" to different values` };
      locks[param] = value;
    }
  }
  return { allowed: true, locks };
}

function matches(pattern: string, kind: string, names: readonly string[]): boolean {
  const colon = pattern.indexOf(':');
  if (colon > 0) {
    if (pattern.slice(0, colon) !== kind) return false;
    pattern = pattern.slice(colon + 1);
  }
  const re = globToRegExp(pattern);
  return names.some((n) => re.test(n));
}

/**
 * Applies a decision to a call's arguments: a denied call, or a locked parameter given with
 * another value, is PERMISSION_DENIED; otherwise the locked values are filled in. Giving the
 * locked value itself is allowed: a view that received the lock passes it on to its nested calls.
 */
export function applyDecision(decision: Decision, args: unknown, analytic: string): Record<string, unknown> {
  if (!decision.allowed) throw new InsightsError('PERMISSION_DENIED', decision.reason, { analytic });
  const given = (typeof args === 'object' && args !== null && !Array.isArray(args) ? args : {}) as Record<string, unknown>;
  for (const param of Object.keys(decision.locks))
    if (param in given && given[param] !== decision.locks[param])
      throw new InsightsError('PERMISSION_DENIED', `parameter "${param}" of ${analytic} is locked by your policy; leave it out`, {
        parameter: param,
        analytic,
      });
  return { ...given, ...decision.locks };
}

/** The parameter names of a JSON Schema object (an analytic's published parameters). */
export function schemaParameters(schema: unknown): string[] {
  const props = (schema as { properties?: unknown } | null | undefined)?.properties;
  return typeof props === 'object' && props !== null ? Object.keys(props) : [];
}

/** A parameter schema with locked parameters removed, as a restricted caller should see it. */
export function stripLocked(schema: Record<string, unknown>, locks: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const locked = Object.keys(locks);
  if (locked.length === 0) return schema;
  const props = { ...((schema.properties as Record<string, unknown> | undefined) ?? {}) };
  for (const p of locked) delete props[p];
  const required = ((schema.required as string[] | undefined) ?? []).filter((r) => !locked.includes(r));
  return { ...schema, properties: props, required };
}
