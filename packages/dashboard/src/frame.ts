import type { ViewResult } from '@insights/sdk';
import { escapeHtml, jsonForScript } from './html.ts';
import { VEGA_SCRIPTS } from './assets.ts';

/**
 * A view as a document of its own, served into a sandboxed iframe. The CSP `sandbox` directive
 * gives the document an opaque origin even if someone opens its URL directly: it cannot read
 * the dashboard's page, cookies or storage. Only Vega-Lite gets scripts, and only the dashboard's
 * own files (`script-src 'self'`, no inline script, no eval): the spec travels as inert JSON.
 * Nothing may connect anywhere (`default-src 'none'`), so a view cannot send data out.
 */
export function frameCsp(withScripts: boolean, frameAncestors: string): string {
  return [
    withScripts ? 'sandbox allow-scripts' : 'sandbox',
    "default-src 'none'",
    withScripts ? "script-src 'self'" : undefined,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `frame-ancestors ${frameAncestors}`,
    "base-uri 'none'",
    "form-action 'none'",
  ]
    .filter(Boolean)
    .join('; ');
}

const BASE_STYLE = `html{color-scheme:light}body{margin:0;padding:12px;font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff}
img,svg{max-width:100%;height:auto}table{border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{font-weight:600;text-align:left;padding:4px 0}th,td{border:1px solid #c8c8c8;padding:4px 10px;text-align:left}
th{background:#eef2f8;position:sticky;top:0}td.n{text-align:right}tbody tr:nth-child(even){background:#f7f7f7}
.vega-embed{width:100%}.error{color:#a00000}`;

function doc(title: string, body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${BASE_STYLE}</style>${head}</head><body>${body}</body></html>`;
}

/** The document of a view; `title` names the analytic for assistive technology. */
export function frameDocument(v: ViewResult, title: string): string {
  switch (v.type) {
    case 'html':
      return doc(title, v.html);
    case 'svg':
      // As an image, an SVG can run no script and load nothing, whatever it contains.
      return doc(
        title,
        `<img src="data:image/svg+xml;base64,${Buffer.from(v.svg).toString('base64')}" alt="${escapeHtml(title)}">`,
      );
    case 'png':
      return doc(title, `<img src="data:image/png;base64,${Buffer.from(v.data).toString('base64')}" alt="${escapeHtml(title)}">`);
    case 'table':
      return doc(title, tableHtml(v));
    case 'vega-lite': {
      const label =
        typeof v.spec.description === 'string' ? v.spec.description : typeof v.spec.title === 'string' ? v.spec.title : title;
      const scripts = VEGA_SCRIPTS.map((s) => `<script src="${s}"></script>`).join('');
      return doc(
        title,
        `<div id="chart" role="img" aria-label="${escapeHtml(label)}"></div><p id="chart-error" class="error" hidden></p><script type="application/json" id="spec">${jsonForScript(v.spec)}</script>${scripts}<script src="/assets/vega-frame.js"></script>`,
      );
    }
  }
}

function tableHtml(t: Extract<ViewResult, { type: 'table' }>): string {
  const head = t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="n"' : ''}>${escapeHtml(c === null ? '' : String(c))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table>${t.title === undefined ? '' : `<caption>${escapeHtml(t.title)}</caption>`}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A page shown in place of a view that could not be produced (embeds). */
export function frameError(title: string, message: string): string {
  return doc(title, `<p class="error" role="alert">${escapeHtml(message)}</p>`);
}
