/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * Headers for anything a module renders: the browser treats it as a sandboxed, script-less
 * document that can load images and styles from this node only.
 */
export const VIEW_SECURITY_HEADERS = {
  'content-security-policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
} as const;
