import type { WireAnalyticInfo, WireDescribeResponse } from '@insights/wire';
import { escapeHtml } from './html.ts';

type PropSchema = { type?: string | string[]; description?: string; default?: unknown; enum?: unknown[]; anyOf?: PropSchema[] };
type ObjectSchema = { properties?: Record<string, PropSchema>; required?: string[] };

/**
 * The node's own page: every query and view with a form built from its parameter schema.
 * No script at all: each form targets a sandboxed iframe, so results and views render in
 * isolation from this page. (The mesh-wide dashboard is a separate, richer client.)
 */
export function renderNodePage(d: WireDescribeResponse): string {
  const sections = d.modules
    .map((m) => {
      const callable = m.analytics.filter((a) => a.kind === 1 || a.kind === 2);
      const others = m.analytics.filter((a) => a.kind > 2);
      return `<section aria-labelledby="m-${escapeHtml(m.name)}">
<h2 id="m-${escapeHtml(m.name)}">${escapeHtml(m.name)} <small>${escapeHtml(m.version)} · ${escapeHtml(m.state)}${m.lastError ? ` · ${escapeHtml(m.lastError)}` : ''}</small></h2>
<p>${escapeHtml(m.description)}</p>
${callable.map((a) => analyticForm(m.name, a)).join('\n')}
${others.length === 0 ? '' : `<p class="other">Also: ${others.map((a) => `${KIND_LABEL[a.kind] ?? 'analytic'} <code>${escapeHtml(a.name)}</code>`).join(', ')}</p>`}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Insights node ${escapeHtml(d.node.id)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#1a1a1a}
section{border-top:2px solid #2b5797;margin-top:1.5rem}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.25rem 0}
fieldset{border:1px solid #bbb;border-radius:6px;margin:.75rem 0;padding:.5rem .75rem}
legend{font-weight:600}
label{display:flex;flex-direction:column;font-size:.9rem}
.desc{color:#555;font-size:.85rem;margin:.1rem 0}
iframe{width:100%;height:14rem;border:1px solid #ccc;border-radius:4px;background:#fff}
button{background:#2b5797;color:#fff;border:0;border-radius:4px;padding:.35rem .9rem;font-size:.95rem}
button:focus,input:focus,select:focus{outline:3px solid #f0a000}
small{color:#555;font-weight:400}
</style></head><body>
<h1>Insights node <code>${escapeHtml(d.node.id)}</code></h1>
<p>gRPC <code>${escapeHtml(d.node.grpcAddress)}</code> · labels ${escapeHtml(d.node.labels.join(', ') || 'none')} · state ${escapeHtml(d.node.state)} · <a href="/schema">schema (JSON)</a></p>
${sections || '<p>No modules loaded.</p>'}
</body></html>`;
}

const KIND_LABEL: Record<number, string> = { 3: 'event handler', 4: 'event property', 5: 'job', 6: 'data layer' };

function analyticForm(module: string, a: WireAnalyticInfo): string {
  const kind = a.kind === 1 ? 'query' : 'view';
  const id = `${kind}-${module}-${a.name}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const schema = JSON.parse(a.paramsSchemaJson || '{}') as ObjectSchema;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {})
    .map(([p, s]) => field(id, p, s, required.has(p)))
    .join('');
  return `<fieldset><legend>${kind} <code>${escapeHtml(a.name)}</code>${a.aliases.length ? ` <small>aka ${escapeHtml(a.aliases.join(', '))}</small>` : ''}</legend>
<p class="desc">${escapeHtml(a.description)}</p>
<form method="get" action="/${kind}/${encodeURIComponent(`${module}.${a.name}`)}" target="${id}-out">${fields}<button type="submit">Run</button></form>
<iframe name="${id}-out" title="Result of ${escapeHtml(a.name)}" sandbox></iframe></fieldset>`;
}

function field(formId: string, name: string, s: PropSchema, required: boolean): string {
  const id = `${formId}-${name}`;
  const types = s.anyOf
    ? s.anyOf.flatMap((x) => (Array.isArray(x.type) ? x.type : [x.type]))
    : Array.isArray(s.type)
      ? s.type
      : [s.type];
  const label = `${escapeHtml(name)}${required ? ' <abbr title="required">*</abbr>' : ''}`;
  const def = s.default === undefined ? '' : String(s.default);
  let input: string;
  if (s.enum !== undefined)
    input = `<select id="${id}" name="${escapeHtml(name)}"${required ? ' required' : ''}>${s.enum
      .map((v) => `<option${String(v) === def ? ' selected' : ''}>${escapeHtml(String(v))}</option>`)
      .join('')}</select>`;
  else if (types.includes('boolean'))
    input = `<input id="${id}" type="checkbox" name="${escapeHtml(name)}" value="true"${s.default === true ? ' checked' : ''}>`;
  else {
    const type = types.includes('number') || types.includes('integer') ? 'number' : 'text';
    input = `<input id="${id}" type="${type}"${type === 'number' ? ' step="any"' : ''} name="${escapeHtml(name)}" value="${escapeHtml(def)}"${required ? ' required' : ''}>`;
  }
  const desc = s.description ? `<span class="desc">${escapeHtml(s.description)}</span>` : '';
  return `<label for="${id}">${label}${input}${desc}</label>`;
}
