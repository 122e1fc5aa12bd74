export {}; // a module for the type checker; esbuild serves it as one classic script

/**
 * The page's one script. The server renders everything; this adds what needs a live page:
 * search, the list following the mesh, running with a progress bar and cancel, showing results,
 * copying the deep link and minting embed URLs. Module output never enters this page: views go
 * into sandboxed frames, query data is set as text.
 */

interface WireError {
  code: string;
  message: string;
  parameter?: string;
}

interface ResultInfo {
  id: string;
  type: string;
  analytic: string;
  frame?: string;
  csv?: string;
  json?: string;
  value?: unknown;
  tooLarge?: number;
  /** File name for downloads, without extension. */
  name: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---------------------------------------------------------------- list: search, grouping, live

function applyListState(): void {
  const nav = $('catalog');
  if (nav === null) return;
  const group = (document.querySelector('input[name="group"]:checked') as HTMLInputElement | null)?.value ?? 'module';
  nav.querySelector<HTMLElement>('.by-module')?.toggleAttribute('hidden', group !== 'module');
  nav.querySelector<HTMLElement>('.by-node')?.toggleAttribute('hidden', group !== 'node');
  const terms = ($<HTMLInputElement>('search')?.value ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const li of Array.from(nav.querySelectorAll<HTMLElement>('li[data-search]'))) {
    const hit = terms.every((t) => (li.dataset.search ?? '').includes(t));
    li.hidden = !hit;
    if (hit && li.closest('[hidden]') === null) shown++;
  }
  for (const g of Array.from(nav.querySelectorAll<HTMLElement>('section.group')))
    g.hidden = g.querySelector('li:not([hidden])') === null;
  const status = $('search-status');
  if (status !== null) status.textContent = terms.length === 0 ? '' : `${shown} matching analytics`;
}

function followCatalog(): void {
  const nav = $('catalog');
  if (nav === null || typeof EventSource === 'undefined') return;
  const form = $<HTMLFormElement>('run-form');
  const current = form === null ? '' : `${form.dataset.kind}:${form.dataset.analytic}`;
  const source = new EventSource(`/api/catalog/events?current=${encodeURIComponent(current)}`);
  source.addEventListener('catalog', (ev) => {
    nav.innerHTML = (JSON.parse((ev as MessageEvent<string>).data) as { html: string }).html; // server-escaped HTML
    applyListState();
    if (current !== '' && nav.querySelector('[aria-current="page"]') === null && running === undefined)
      setStatus('No node serves this analytic right now; it comes back when its node does.');
  });
}

// ---------------------------------------------------------------- running

let running: AbortController | undefined;

/** The form's values as URL parameters: empty fields left out so defaults apply; booleans always sent. */
function formParams(form: HTMLFormElement): URLSearchParams {
  const p = new URLSearchParams();
  for (const e of Array.from(form.elements)) {
    if (
      !(e instanceof HTMLInputElement || e instanceof HTMLSelectElement || e instanceof HTMLTextAreaElement) ||
      e.name === '' ||
      e.name === '_run'
    )
      continue;
    if (e instanceof HTMLInputElement && e.type === 'checkbox') {
      p.set(e.name, e.checked ? 'true' : 'false');
      continue;
    }
    const v = e.value.trim();
    if (v === '') continue;
    if (e.dataset.type === 'array' && !v.startsWith('[')) {
      const items = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      p.set(e.name, JSON.stringify(e.dataset.items === 'number' || e.dataset.items === 'integer' ? items.map(Number) : items));
    } else p.set(e.name, v);
  }
  return p;
}

function deepLink(form: HTMLFormElement): string {
  const p = formParams(form);
  p.set('_run', '1');
  return `${form.getAttribute('action') ?? location.pathname}?${p.toString()}`;
}

function setStatus(text: string): void {
  const s = $('status');
  if (s !== null) s.textContent = text;
}

function clearErrors(form: HTMLFormElement): void {
  const box = $('error');
  if (box !== null) {
    box.hidden = true;
    box.textContent = '';
  }
  for (const f of Array.from(form.querySelectorAll('[aria-invalid]'))) f.removeAttribute('aria-invalid');
  for (const f of Array.from(form.querySelectorAll('.field-error'))) f.textContent = '';
}

const ERROR_TITLES: Record<string, string> = {
  INVALID_ARGUMENT: 'Invalid parameter',
  PERMISSION_DENIED: 'Permission denied',
  UNAVAILABLE: 'Node unavailable',
  DEADLINE_EXCEEDED: 'Deadline exceeded',
  NOT_FOUND: 'Not found',
  UNAUTHENTICATED: 'Not logged in',
  RESOURCE_EXHAUSTED: 'Too much at once',
  FAILED_PRECONDITION: 'Cannot run now',
  INTERNAL: 'The analytic failed',
};

function showError(form: HTMLFormElement, e: WireError): void {
  const box = $('error');
  if (box === null) return;
  const title = ERROR_TITLES[e.code] ?? e.code;
  // Node messages repeat the analytic and parameter ("a.b: parameter \"x\": ..."); the heading already says them.
  const marker = e.parameter ? `parameter "${e.parameter}": ` : undefined;
  const message =
    marker !== undefined && e.message.includes(marker) ? e.message.slice(e.message.indexOf(marker) + marker.length) : e.message;
  box.replaceChildren(
    el('strong', {}, e.parameter ? `${title} “${e.parameter}”: ` : `${title}: `),
    document.createTextNode(message),
  );
  if (e.code === 'UNAUTHENTICATED')
    box.append(' ', el('a', { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Log in again'));
  box.hidden = false;
  const field = e.parameter ? form.querySelector<HTMLElement>(`[name="${CSS.escape(e.parameter)}"]`) : null;
  if (field !== null) {
    field.setAttribute('aria-invalid', 'true');
    const msg = $(`${field.id}-error`);
    if (msg !== null) msg.textContent = message;
    field.focus();
  }
}

/** Reads a text/event-stream body: calls `on` per event until the stream ends. */
async function readEvents(res: Response, on: (event: string, data: unknown) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data !== '') on(event, JSON.parse(data));
    }
  }
}

async function run(form: HTMLFormElement): Promise<void> {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const runBtn = $<HTMLButtonElement>('run');
  const cancelBtn = $<HTMLButtonElement>('cancel');
  const progress = $<HTMLProgressElement>('progress');
  const output = $('output');
  clearErrors(form);
  output?.replaceChildren();
  history.replaceState(null, '', deepLink(form));
  if (runBtn) runBtn.disabled = true;
  if (cancelBtn) cancelBtn.disabled = false;
  if (progress) {
    progress.hidden = false;
    progress.removeAttribute('value'); // indeterminate until the module reports
  }
  setStatus('Running…');
  const started = performance.now();
  try {
    const res = await fetch(
      `/api/run/${form.dataset.kind}/${encodeURIComponent(form.dataset.analytic ?? '')}?${formParams(form).toString()}`,
      {
        signal: controller.signal,
        headers: { accept: 'text/event-stream' },
      },
    );
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: WireError };
      showError(form, body.error ?? { code: 'INTERNAL', message: `HTTP ${res.status}` });
      setStatus('');
      return;
    }
    await readEvents(res, (event, data) => {
      if (event === 'progress') {
        const p = data as { fraction: number; message: string };
        if (progress) progress.value = Math.max(0, Math.min(1, p.fraction));
        setStatus(`${Math.round(p.fraction * 100)}%${p.message ? ` · ${p.message}` : ''}`);
      } else if (event === 'result') {
        showResult(data as ResultInfo);
        setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } else if (event === 'error') {
        showError(form, data as WireError);
        setStatus('');
      }
    });
  } catch (e) {
    if (controller.signal.aborted) setStatus('Cancelled; the call was stopped.');
    else showError(form, { code: 'UNAVAILABLE', message: `lost the connection to the dashboard (${(e as Error).message})` });
  } finally {
    if (running === controller) running = undefined;
    if (runBtn) runBtn.disabled = false;
    if (cancelBtn) cancelBtn.disabled = true;
    if (progress) progress.hidden = true;
  }
}

function downloadLink(href: string, file: string, label: string): HTMLAnchorElement {
  return el('a', { href, download: file, class: 'button secondary' }, label);
}

function showResult(r: ResultInfo): void {
  const output = $('output');
  if (output === null) return;
  const bar = el('div', { class: 'result-actions' });
  if (r.csv) bar.append(downloadLink(r.csv, `${r.name}.csv`, 'Download CSV'));
  if (r.json) bar.append(downloadLink(r.json, `${r.name}.json`, 'Download JSON'));
  if (r.frame !== undefined) {
    // Views are module output: a sandboxed frame with an opaque origin, scripts only for Vega-Lite.
    const frame = el('iframe', {
      src: r.frame,
      title: `Result of ${r.analytic}`,
      sandbox: r.type === 'vega-lite' ? 'allow-scripts' : '',
      referrerpolicy: 'no-referrer',
      class: `view view-${r.type}`,
      loading: 'eager',
    });
    output.replaceChildren(frame, bar);
    return;
  }
  if (r.value === undefined) {
    output.replaceChildren(el('p', {}, `The result is large (${r.tooLarge ?? '?'} characters); download it instead.`), bar);
    return;
  }
  const table = tableOf(r.value);
  const pre = el('pre', { class: 'json', tabindex: '0' }, JSON.stringify(r.value, null, 2));
  if (table === undefined) {
    output.replaceChildren(pre, bar);
    return;
  }
  pre.hidden = true;
  const toggle = el('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Show JSON');
  toggle.addEventListener('click', () => {
    const json = pre.hidden;
    pre.hidden = !json;
    table.hidden = json;
    toggle.setAttribute('aria-pressed', String(json));
    toggle.textContent = json ? 'Show table' : 'Show JSON';
  });
  bar.prepend(toggle);
  output.replaceChildren(table, pre, bar);
}

/** A query result as a table element (text only), when it is an array of records or values. */
function tableOf(value: unknown): HTMLElement | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const records = value.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r));
  if (!records && !value.every((v) => v === null || typeof v !== 'object')) return undefined;
  const columns = records ? [...new Set(value.flatMap((r) => Object.keys(r as object)))] : ['value'];
  const MAX_ROWS = 1000;
  const wrap = el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Result table' });
  const table = el('table', { class: 'data' });
  const head = el('tr');
  for (const c of columns) head.append(el('th', { scope: 'col' }, c));
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  for (const row of value.slice(0, MAX_ROWS)) {
    const tr = el('tr');
    for (const c of columns) {
      const v = records ? (row as Record<string, unknown>)[c] : row;
      const td = el(
        'td',
        typeof v === 'number' ? { class: 'n' } : {},
        v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v),
      );
      tr.append(td);
    }
    table.tBodies[0]!.append(tr);
  }
  wrap.append(table);
  if (value.length > MAX_ROWS)
    wrap.append(el('p', { class: 'hint' }, `Showing ${MAX_ROWS} of ${value.length} rows; the CSV has them all.`));
  return wrap;
}

// ---------------------------------------------------------------- links and embeds

async function copyLink(form: HTMLFormElement): Promise<void> {
  const url = new URL(deepLink(form), location.href).toString();
  try {
    await navigator.clipboard.writeText(url);
    setStatus('Link copied.');
  } catch {
    window.prompt('Copy this link:', url);
  }
}

async function makeEmbed(form: HTMLFormElement): Promise<void> {
  const panel = $('embed-panel');
  if (panel === null) return;
  const args = Object.fromEntries([...formParams(form)].filter(([k]) => !k.startsWith('_')));
  const res = await fetch('/api/embed', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: form.dataset.analytic, args }),
  });
  const body = (await res.json()) as { url?: string; expiresAt?: string; error?: WireError };
  if (body.error !== undefined || body.url === undefined) {
    showError(form, body.error ?? { code: 'INTERNAL', message: 'no URL' });
    return;
  }
  const snippet = `<iframe src="${body.url}" width="720" height="480" title="${form.dataset.analytic ?? 'view'}"></iframe>`;
  const area = el('textarea', { id: 'embed-code', rows: '3', readonly: '' });
  area.value = snippet;
  panel.replaceChildren(
    el('h2', {}, 'Embed this view'),
    el(
      'p',
      {},
      `Anyone with this URL sees this view with these parameters, as you, until ${new Date(body.expiresAt ?? '').toLocaleString()}.`,
    ),
    el('label', { for: 'embed-code' }, 'HTML for the LMS page'),
    area,
  );
  panel.dataset.url = body.url;
  panel.hidden = false;
  area.focus();
  area.select();
}

// ---------------------------------------------------------------- wiring

function init(): void {
  const search = $<HTMLInputElement>('search');
  search?.addEventListener('input', applyListState);
  for (const r of Array.from(document.querySelectorAll<HTMLInputElement>('input[name="group"]')))
    r.addEventListener('change', applyListState);
  applyListState();
  followCatalog();

  document.addEventListener('keydown', (ev) => {
    const typing =
      ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement || ev.target instanceof HTMLSelectElement;
    if (ev.key === '/' && !typing && search !== null) {
      ev.preventDefault();
      search.focus();
    } else if (ev.key === 'Escape' && running !== undefined) running.abort();
  });

  const form = $<HTMLFormElement>('run-form');
  if (form === null) return;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void run(form);
  });
  $('cancel')?.addEventListener('click', () => running?.abort());
  $('copy-link')?.addEventListener('click', () => void copyLink(form));
  $('embed')?.addEventListener('click', () => void makeEmbed(form));
  if (new URLSearchParams(location.search).get('_run') === '1') void run(form);
}

init();
