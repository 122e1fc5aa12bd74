import type { AnalyticDescription } from '@insights/client';
import { formHtml, type FormInput } from './form.ts';
import { escapeHtml } from './html.ts';

/** The main area for one analytic: what it is, where it runs, its form, and where results go. */
export function analyticMain(i: FormInput): string {
  const a: AnalyticDescription = i.analytic;
  return `<section class="analytic" aria-labelledby="analytic-title">
<h1 id="analytic-title"><span class="kind kind-${a.kind}">${a.kind}</span> ${escapeHtml(a.name)} <small>${escapeHtml(a.module)}</small></h1>
${a.description ? `<p class="description">${escapeHtml(a.description)}</p>` : ''}
<p class="on">Served by ${a.nodes.map((n) => `<span class="node">${escapeHtml(n)}</span>`).join(' ')}${a.aliases.length > 0 ? ` · also called ${a.aliases.map((x) => `<code>${escapeHtml(x)}</code>`).join(', ')}` : ''}</p>
${formHtml(i)}
<div id="embed-panel" class="embed-panel" hidden></div>
<section id="result" class="result" aria-label="Result">
<div class="run-status"><progress id="progress" max="1" hidden aria-label="Progress"></progress><span id="status" role="status"></span></div>
<div id="error" class="error-box" role="alert" hidden></div>
<div id="output"></div>
</section>
</section>`;
}
