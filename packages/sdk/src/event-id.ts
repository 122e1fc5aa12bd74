import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** Length of a hashed event id: 128 bits of sha256, as hex. */
export const HASH_ID_HEX_LENGTH = 32;

/**
 * The id of an event that carries none: sha256 of its canonical JSON, so key order and transport
 * framing never change it and the same event sent twice dedupes. Shared by every data layer.
 */
export function hashEventId(raw: unknown): string {
  // One-shot `hash` (Node >= 20.12): no Hash object per event.
  return hash('sha256', canonicalJson(raw), 'hex').slice(0, HASH_ID_HEX_LENGTH);
}
