/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON inside a `<script type="application/json">`: `<` escaped so no `</script>` or `<!--` can close it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The path of an analytic's page: also its deep link, with the arguments in the query string. */
export function analyticPath(kind: 'query' | 'view', fullName: string): string {
  return `/a/${kind}/${encodeURIComponent(fullName)}`;
}
