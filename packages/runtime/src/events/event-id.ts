import { hashEventId } from '@insights/sdk';

/** The event's own id where it has one (a non-empty string `id`), else a hash of its canonical form. */
export function stableEventId(raw: unknown): string {
  const own = (raw as { id?: unknown } | null)?.id;
  if (typeof own === 'string' && own.length > 0) return own;
  return hashEventId(raw);
}
