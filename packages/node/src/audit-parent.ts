/** What an audit id looks like (newAuditId: 9 random bytes, base64url), with room to spare. */
const AUDIT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The parent a forwarded nested call names (`parent_call`, on CallStream and unary Call alike),
 * believed only from a certified mesh node (every token delegated by it): a plain client could
 * forge links into anyone's call tree, so its claim is dropped (its record still joins the trace
 * its traceparent names).
 */
export function forwardedParent(
  claimed: string | undefined,
  authority: { readonly forwardedBy?: string | undefined } | undefined,
): string | undefined {
  if (!claimed || authority?.forwardedBy === undefined || !AUDIT_ID.test(claimed)) return undefined;
  return claimed;
}
