import { escapeHtml } from './html.ts';
import type { Principal } from './principal.ts';

/** The page's CSP: only the dashboard's own script and style, nothing inline, never framed. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface PageInput {
  readonly title: string;
  readonly principal: Principal | undefined;
  readonly canLogOut: boolean;
  /** The sidebar's list (catalogHtml), or undefined for pages without it (login). */
  readonly catalog?: string | undefined;
  readonly main: string;
}

/**
 * The dashboard's one page layout: a header, the analytics list with search on the side, the
 * selected analytic in the main area. Everything works from the server's HTML; app.js adds
 * live updates, running with progress, and cancel.
 */
export function renderPage(p: PageInput): string {
  const who =
    p.principal === undefined
      ? ''
      : `<div class="who"><span>${escapeHtml(p.principal.name)} <span class="role">${escapeHtml(p.principal.role)}</span></span>${
          p.canLogOut ? '<form method="post" action="/logout"><button type="submit" class="link">Log out</button></form>' : ''
        }</div>`;
  const sidebar =
    p.catalog === undefined
      ? ''
      : `<aside class="sidebar">
<div class="search"><label for="search">Search analytics</label><input id="search" type="search" autocomplete="off" placeholder="name, module, description" aria-controls="catalog" aria-keyshortcuts="/"></div>
<fieldset class="grouping"><legend>Group by</legend>
<label><input type="radio" name="group" value="module" checked> module</label>
<label><input type="radio" name="group" value="node"> node</label></fieldset>
<p id="search-status" class="sr-only" role="status"></p>
<nav id="catalog" aria-label="Analytics">${p.catalog}</nav>
</aside>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)} · Insights</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/app.js" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">Insights <span>dashboard</span></a>${who}</header>
<div class="layout${p.catalog === undefined ? ' single' : ''}">
${sidebar}
<main id="main" tabindex="-1">${p.main}</main>
</div>
</body></html>`;
}

export function loginMain(error: string | undefined, next: string): string {
  return `<section class="login">
<h1>Log in</h1>
${error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>`}
<form method="post" action="/login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<div class="field"><label for="user">User name</label><input id="user" name="user" autocomplete="username" required autofocus></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<div class="actions"><button type="submit">Log in</button></div>
</form></section>`;
}

export function welcomeMain(analyticCount: number): string {
  return `<section class="welcome">
<h1>Analytics of the whole mesh</h1>
<p>${analyticCount === 0 ? 'No analytics are available to you yet; they appear as nodes join.' : 'Choose an analytic on the left, fill in its form and run it. Views open in a sandboxed frame; query results show as a table or JSON, with a CSV download.'}</p>
<p class="hint">Press <kbd>/</kbd> to search. A run's address is a link you can share.</p>
</section>`;
}

export function messageMain(title: string, message: string): string {
  return `<section class="message"><h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p><p><a href="/">Back to the list</a></p></section>`;
}
