import type { AnalyticDescription } from '@insights/client';
import type { ChoicesResult } from './choices.ts';
import { analyticPath, escapeHtml } from './html.ts';
import { enumOf, nonNull, typesOf, type ObjectSchema, type PropSchema } from './schema.ts';

export interface FormInput {
  readonly analytic: AnalyticDescription;
  /** Values from the URL (a deep link), as strings. */
  readonly values: Readonly<Record<string, string>>;
  /** Parameters the viewer's role sets; shown read-only. */
  readonly locks: Readonly<Record<string, string | number | boolean>>;
  readonly choices: ReadonlyMap<string, ChoicesResult>;
  readonly canEmbed: boolean;
}

/** JSON Schema bounds zod emits for `.int()` alone: not worth showing as min/max. */
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The form of one analytic, built from its parameter schema: labels, descriptions, required
 * marks, defaults, and a select where the schema has an enum or the module offers choices. It is
 * a plain GET form to the analytic's own URL, so the URL of a run is its deep link.
 */
export function formHtml(i: FormInput): string {
  const a = i.analytic;
  const full = `${a.module}.${a.name}`;
  const schema = a.params as ObjectSchema;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, s]) => field(name, nonNull(s), required.has(name), i));
  const locked = Object.entries(i.locks);
  return `<form id="run-form" class="run-form" method="get" action="${analyticPath(a.kind, full)}" novalidate data-kind="${a.kind}" data-analytic="${escapeHtml(full)}">
${fields.length === 0 ? '<p class="hint">This analytic takes no parameters.</p>' : `<div class="fields">${fields.join('\n')}</div>`}
${
  locked.length === 0
    ? ''
    : `<p class="locked">Set by your role: ${locked.map(([k, v]) => `<code>${escapeHtml(k)}</code> = <strong>${escapeHtml(String(v))}</strong>`).join(', ')}</p>`
}
<details class="options"><summary>Options</summary>
<label for="opt-timeout">Time limit, seconds <input id="opt-timeout" name="_timeout" type="number" min="0.1" step="any" inputmode="decimal" value="${escapeHtml(i.values._timeout ?? '')}" placeholder="default"></label>
</details>
<input type="hidden" name="_run" value="1">
<div class="actions">
<button type="submit" id="run">Run</button>
<button type="button" id="cancel" class="secondary" disabled>Cancel</button>
${i.canEmbed && a.kind === 'view' ? '<button type="button" id="embed" class="secondary">Embed…</button>' : ''}
<button type="button" id="copy-link" class="secondary">Copy link</button>
</div>
</form>`;
}

function field(name: string, s: PropSchema, required: boolean, i: FormInput): string {
  const id = `p-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const types = typesOf(s);
  const given = i.values[name];
  const def = s.default === undefined ? undefined : typeof s.default === 'object' ? JSON.stringify(s.default) : String(s.default);
  const value = given ?? def ?? '';
  const describedBy = `${s.description ? `${id}-desc ` : ''}${id}-error`;
  const common = `id="${id}" name="${escapeHtml(name)}" aria-describedby="${describedBy}"${required ? ' required aria-required="true"' : ''}`;
  const hints: string[] = [];
  const choices = i.choices.get(name);
  const options = enumOf(s)?.map((v) => ({ value: String(v), label: String(v) })) ?? (choices?.ok ? choices.choices : undefined);
  if (choices !== undefined && !choices.ok) hints.push(`choices unavailable (${choices.reason}); type a value`);
  let input: string;
  if (options !== undefined) {
    const blank = required && def === undefined ? '— choose —' : def === undefined ? '— none —' : undefined;
    const known = options.some((o) => o.value === value);
    const opts = [
      ...(blank === undefined ? [] : [`<option value="">${blank}</option>`]),
      // A deep link may carry a value the list no longer has: keep it rather than silently change it.
      ...(known || value === '' ? [] : [`<option selected>${escapeHtml(value)}</option>`]),
      ...options.map(
        (o) => `<option value="${escapeHtml(o.value)}"${o.value === value ? ' selected' : ''}>${escapeHtml(o.label)}</option>`,
      ),
    ];
    input = `<select ${common}>${opts.join('')}</select>`;
  } else if (types.includes('boolean') && types.every((t) => t === 'boolean' || t === 'null')) {
    input = `<input type="checkbox" ${common} value="true" data-type="boolean"${value === 'true' ? ' checked' : ''}>`;
  } else if (types.some((t) => t === 'number' || t === 'integer') && !types.includes('string')) {
    const int = types.includes('integer') && !types.includes('number');
    const bound = (k: string, v: number | undefined) => (v === undefined || Math.abs(v) >= SAFE ? '' : ` ${k}="${v}"`);
    input = `<input type="number" ${common} inputmode="${int ? 'numeric' : 'decimal'}" step="${int ? 1 : 'any'}"${bound('min', s.minimum)}${bound('max', s.maximum)} value="${escapeHtml(value)}">`;
  } else if (types.includes('array')) {
    hints.push('several values: separate with commas');
    const item = typesOf(s.items ?? {}).find((t) => t !== 'null') ?? 'string';
    input = `<input type="text" ${common} data-type="array" data-items="${escapeHtml(item)}" value="${escapeHtml(arrayText(value))}">`;
  } else if (types.includes('object')) {
    hints.push('JSON object');
    input = `<textarea ${common} data-type="object" rows="3">${escapeHtml(value)}</textarea>`;
  } else {
    const type = s.format === 'date' ? 'date' : s.format === 'date-time' ? 'datetime-local' : 'text';
    input = `<input type="${type}" ${common} value="${escapeHtml(value)}">`;
  }
  const label = `${escapeHtml(s.title ?? name)}${required ? ' <abbr title="required" class="req">*</abbr>' : ''}`;
  const sentence = (t: string) => (/[.!?]$/.test(t) ? t : `${t}.`);
  const desc = [s.description, def === undefined ? undefined : `Default: ${def}`, ...hints]
    .filter((t): t is string => Boolean(t))
    .map(sentence)
    .join(' ');
  return `<div class="field${types.includes('boolean') ? ' check' : ''}">
<label for="${id}">${label}</label>
${input}
${desc ? `<span class="desc" id="${id}-desc">${escapeHtml(desc)}</span>` : ''}
<span class="field-error" id="${id}-error" role="status"></span>
</div>`;
}

/** A JSON array from a deep link shown as comma-separated text. */
function arrayText(v: string): string {
  if (!v.startsWith('[')) return v;
  try {
    const a = JSON.parse(v) as unknown;
    return Array.isArray(a) ? a.map(String).join(', ') : v;
  } catch {
    return v;
  }
}
