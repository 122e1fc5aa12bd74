import { timingSafeEqual } from 'node:crypto';
import { InsightsError } from '@insights/sdk';

/** Checks a bearer token against the configured ingest tokens (none configured: ingest is open). */
export function checkIngestToken(tokens: readonly string[], given: string): void {
  if (tokens.length === 0) return;
  const g = Buffer.from(given);
  const ok = tokens.some((t) => {
    const b = Buffer.from(t);
    return b.length === g.length && timingSafeEqual(b, g);
  });
  if (!ok)
    throw new InsightsError(
      given === '' ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
      given === '' ? 'sending events needs a token: Authorization: Bearer <ingest token>' : 'this ingest token is not accepted',
    );
}
