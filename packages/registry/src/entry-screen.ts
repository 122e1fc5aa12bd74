import { checkJsonLimits, describeJsonBreach } from '@insights/sdk/internal';
import type { RegistryRefusal } from './registry-view.ts';

/**
 * Bounds on a registry entry read from the bucket, checked before it is parsed. Anyone who can
 * write the bucket can write anything (until it is locked down and signed): an entry must not
 * cost a watcher (every client and node) more than a real advertisement of a large node would.
 */
export const MAX_ENTRY_BYTES = 512 * 1024;
/** Module parameter schemas nest a few levels; nothing real comes near this. */
export const MAX_ENTRY_DEPTH = 32;
/** Node ids are KV key tokens (see assertNodeId). */
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Why an entry is refused before parsing (its key or its bytes), or undefined when it may be parsed. */
export function screenRegistryEntry(
  key: string,
  id: string,
  text: string,
): { reason: string; refusal: RegistryRefusal } | undefined {
  if (!NODE_ID.test(id)) return { reason: `key "${key.slice(0, 100)}" does not name a node id`, refusal: 'key' };
  const breach = checkJsonLimits(text, { maxBytes: MAX_ENTRY_BYTES, maxDepth: MAX_ENTRY_DEPTH });
  if (breach === undefined) return undefined;
  return {
    reason: describeJsonBreach('entry', breach, breach.limit === 'maxBytes' ? 'MAX_ENTRY_BYTES' : 'MAX_ENTRY_DEPTH'),
    refusal: 'limits',
  };
}
