import type { AnalyticDescription, MeshDescription, Mesh } from '@insights/client';
import { isInsightsError } from '@insights/sdk';
import { findAnalytic } from './catalog.ts';
import type { PropSchema } from './schema.ts';

/**
 * The convention for choices a module offers: a parameter's JSON Schema carries
 * `"x-choices-from": "<query>"` (module authors write `z.string().meta({ 'x-choices-from':
 * 'courses' })`). The dashboard calls that query without arguments, through the viewer's own
 * proxy, and shows a select. The query returns an array of values, or of `{ value, label }`
 * objects (`id`/`name`/`title` are accepted too). A name without a module means the analytic's
 * own module first, then any module.
 */
export const CHOICES_KEY = 'x-choices-from';
const CHOICES_TIMEOUT_MS = 5_000;
const MAX_CHOICES = 2_000;

export interface Choice {
  readonly value: string;
  readonly label: string;
}

export type ChoicesResult =
  { readonly ok: true; readonly choices: readonly Choice[] } | { readonly ok: false; readonly reason: string };

export async function loadChoices(
  mesh: Mesh,
  description: MeshDescription,
  analytic: AnalyticDescription,
  props: Readonly<Record<string, PropSchema>>,
): Promise<Map<string, ChoicesResult>> {
  const out = new Map<string, ChoicesResult>();
  const wanted = Object.entries(props).filter(([, s]) => typeof s[CHOICES_KEY] === 'string');
  // Several parameters often share one query (e.g. course): call each query once.
  const calls = new Map<string, Promise<ChoicesResult>>();
  for (const [param, s] of wanted) {
    const from = s[CHOICES_KEY] as string;
    const target = findAnalytic(description, 'query', `${analytic.module}.${from}`) ?? findAnalytic(description, 'query', from);
    if (target === undefined) {
      out.set(param, { ok: false, reason: `choices query ${from} is not available` });
      continue;
    }
    const full = `${target.module}.${target.name}`;
    let call = calls.get(full);
    if (call === undefined) {
      call = mesh.query[full]!({}, { timeoutMs: CHOICES_TIMEOUT_MS }).then(
        (v) => normalise(v),
        (e: unknown) => ({ ok: false as const, reason: isInsightsError(e) ? `${e.code}: ${e.message}` : String(e) }),
      );
      calls.set(full, call);
    }
    out.set(param, await call);
  }
  return out;
}

function normalise(v: unknown): ChoicesResult {
  if (!Array.isArray(v)) return { ok: false, reason: 'the choices query did not return an array' };
  const choices: Choice[] = [];
  for (const item of v.slice(0, MAX_CHOICES)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
      choices.push({ value: String(item), label: String(item) });
    else if (typeof item === 'object' && item !== null) {
      const o = item as Record<string, unknown>;
      const value = o.value ?? o.id;
      if (value === undefined || value === null) continue;
      choices.push({ value: String(value), label: String(o.label ?? o.name ?? o.title ?? value) });
    }
  }
  return { ok: true, choices };
}
