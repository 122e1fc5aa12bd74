/**
 * What a NATS failure was. The @nats-io 3.x clients throw error classes without codes, often
 * wrapped (a JetStream publish nobody answers: JetStreamNotEnabled <- RequestError <-
 * NoResponders). Compared by name along the `cause` chain, never by `instanceof`: two copies of
 * the package in one process (a module's bundle, a CLI chunk) would break it.
 */
function names(e: unknown): string[] {
  const out: string[] = [];
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) out.push(c.name);
  return out;
}

/** Nothing listens on the subject: no stream stores it (a server restarted without its storage). */
export function isNoResponders(e: unknown): boolean {
  return names(e).includes('NoResponders');
}

/**
 * The server refused the credentials, they expired, or they cannot be used at all (a malformed
 * nkey seed: the nkeys library's codes start with `nkeys:`): retrying with the same ones cannot help.
 */
export function isAuthenticationRefused(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return (
    (typeof code === 'string' && code.startsWith('nkeys:')) ||
    names(e).some((n) => n === 'AuthorizationError' || n === 'UserAuthenticationExpiredError')
  );
}

/** JetStream's code for a `Nats-TTL` sent to a stream without per-message TTL (nats-server JSMessageTTLDisabledErr). */
const MESSAGE_TTL_DISABLED = 10166;

/**
 * A write with a TTL refused because the bucket does not allow them (recreated by an older
 * version, or its settings reverted): the writer must find out again what the bucket allows.
 */
export function isMessageTtlDisabled(e: unknown): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++)
    if ((c as { code?: unknown }).code === MESSAGE_TTL_DISABLED) return true;
  return false;
}
