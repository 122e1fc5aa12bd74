/**
 * Stable event ids, so the same event ingested twice (a log re-imported, an HTTP retry) dedupes.
 *
 * The event's own id where the format has one: xAPI statements and Caliper events carry `id`.
 * edX tracking-log and processed events carry none (checked on every event of the real logs and
 * event-routing-backends fixtures), so they get `sha256(canonicalJson(raw))`, truncated to 128
 * bits (32 hex digits): key order and transport framing (log prefix, HTTP body) do not change it.
 *
 * The ids are JetStream message ids: they must never change. `hashEventId` of the SDK defines
 * them (tests pin a few).
 */
import { hashEventId } from '@insights/sdk';

export { hashEventId, HASH_ID_HEX_LENGTH } from '@insights/sdk';

/** The event's own id if it carries one (xAPI/Caliper `id`), else the hash of its canonical form. */
export function eventId(raw: unknown): string {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as Record<string, unknown>;
    if (typeof r['id'] === 'string' && r['id'] !== '' && isStatementLike(r)) return r['id'];
  }
  return hashEventId(raw);
}

/** xAPI statement (actor + verb) or Caliper event (`@context` + action): formats whose `id` is the event's. */
function isStatementLike(r: Record<string, unknown>): boolean {
  return ('verb' in r && 'actor' in r) || ('@context' in r && 'action' in r);
}
